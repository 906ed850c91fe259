"""Windows MDM (OMA-DM / SyncML 1.2) layer: messages, commands per action, session logic.

Pure functions only; the HTTP endpoint, queues, storage and Kafka live elsewhere in the service.
"""
