"""sspctl: administer the self-service portal through the gateway admin API."""
