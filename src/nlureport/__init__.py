"""`make nlu-report`: how good the dialogue's training data is, as one HTML page for marketers.

It runs Rasa's data validation, NLU cross-validation, the held-out sets (bench/heldout/, against
the trained model) and the conversation corpus (tests/conversations/), and writes
reports/nlu/latest.html with a JSON summary beside it; the change since the previous summary is
part of the page. Rasa runs as a child process only: nothing here imports it.
"""
