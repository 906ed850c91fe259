"""The permission-service's pure domain: no I/O, so every rule is unit-tested in milliseconds.

Modules by concern:
- `errors`: the error hierarchy with stable codes (mapped to HTTP/consumer outcomes at the edge).
- `passwords`: password policy and argon2id hashing.
- `accounts`: the Account model and its validation; `account_changes`: what admins do to one;
  `grants`: granting and revoking its roles.
- `access_events`: the `UserAccess` snapshot and `AuditRecord`s an account change emits.
- `throttle`: back-off after repeated failed logins; `login`: the whole login decision.
- `roles`: built-in and custom roles, effective permissions.
- `migrations`: versioned seed data (the built-in roles) as plain documents.
- `authorizer`: the policy decision point for every `CommandRequested`.
"""
