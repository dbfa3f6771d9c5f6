"""Create missing Kafka topics: `create_topics.py --bootstrap HOST:PORT NAME:PARTITIONS ...`.

Used by scripts/local-kafka.sh and the tests; an existing topic is left as it is.
"""

from __future__ import annotations

import argparse
import sys

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic


def parse_topic(spec: str) -> NewTopic:
    name, _, partitions = spec.partition(":")
    return NewTopic(name, num_partitions=int(partitions or 1), replication_factor=1)


def create_topics(bootstrap: str, specs: list[str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([parse_topic(spec) for spec in specs], operation_timeout=30)
    for name, future in futures.items():
        try:
            future.result()
            print(f"created topic {name}")
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("topics", nargs="+", metavar="NAME:PARTITIONS")
    args = parser.parse_args(argv)
    create_topics(args.bootstrap, args.topics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
