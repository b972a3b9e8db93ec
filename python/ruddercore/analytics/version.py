"""The rudder-sdk-python release whose API this package mirrors (rudderstack.analytics.version);
the engine's own version is ruddercore.__version__."""
VERSION = "2.1.9"
