"""The HTTP edge: guards, cookies, problem details, security headers."""
