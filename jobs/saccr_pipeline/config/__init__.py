"""Configuration read from conf/: pipeline settings per environment, regimes, the business calendar."""
