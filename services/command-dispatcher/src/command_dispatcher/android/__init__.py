"""Android Management API layer: REST client, quota, command bodies, device mapping, sealing.

Pure functions and one small HTTP client; queues, storage and Kafka live elsewhere in the service.
"""
