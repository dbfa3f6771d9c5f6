"""Fixtures shared by every test tree: services are found through the environment
first and started locally only when none is given (see testsupport/)."""

pytest_plugins = ["testsupport.flink", "testsupport.kafka", "testsupport.postgres"]
