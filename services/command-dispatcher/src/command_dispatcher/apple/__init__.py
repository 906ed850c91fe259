"""Apple MDM protocol layer: check-in, commands, results, device identity and APNs push.

Pure functions and small clients only; queues, storage and Kafka live elsewhere in the service.
"""
