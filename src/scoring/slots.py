"""The qualification form's questions, in the order domain.yml asks them. A module of its own so
that what only needs the names (experiments' config, the web console) does not load spaCy."""

FORM_SLOTS = ("need", "timeline", "authority", "budget", "company", "company_size", "person_name", "email")
