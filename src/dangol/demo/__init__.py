"""The 반송큰시장 demo (seed data) and the commands that run dangol: demo, serve, seed_demo."""
