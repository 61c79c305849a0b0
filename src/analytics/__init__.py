"""The analytics feed of the production profile: Rasa's event broker (RabbitMQ) into the lead
database's `chat_events` table, so reports and the console never read Rasa's tracker store.
`python -m analytics` runs the consumer."""
