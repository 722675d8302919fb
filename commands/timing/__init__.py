"""The public-update clock and the reminder ladders it drives."""
