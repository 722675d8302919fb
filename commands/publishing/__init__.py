"""The outbox: approved statements to every destination, once each, with retries and corrections."""
