"""The only code of the gateway that talks to MongoDB: one small class per capability."""
