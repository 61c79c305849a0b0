"""The sales and marketing console at /console: login, funnel, leads. The blueprint is
`webapp.console.views.console`; this package imports nothing itself, so the launcher can read
console users (users.py) without loading the model-card code and scikit-learn."""
