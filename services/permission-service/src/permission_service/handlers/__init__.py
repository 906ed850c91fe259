"""Topics and request/reply in, domain decisions, store writes; events leave via the outbox.

- `login`: ssp.rpc.auth.verify and ssp.rpc.auth.reverify.
- `admin_desk` (with `admin_users`, `admin_roles`, `admin_payloads`): ssp.rpc.admin.
- `authorizer` (with `projection_lag`): ssp.commands.requested -> decisions.
- `device_projection`: ssp.devices -> the authorizer's device views.
- `access_refresh`: republishing snapshots of the holders of a changed role.
- `startup`: migrations, bootstrap admin, demo users.
"""
