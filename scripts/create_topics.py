"""Create missing Kafka topics: `create_topics.py --bootstrap HOST:PORT SPEC ...`.

Each SPEC is NAME:PARTITIONS, or NAME:PARTITIONS:compact for a compacted topic
(cleanup.policy=compact, as `device-settings` is: the newest record of each key is kept).
Used by scripts/local-kafka.sh and the tests; an existing topic is left as it is.
`--kafka.property KEY=VALUE` (repeatable) takes the monitor's Kafka settings, in the
Java clients' words (TLS, SASL; see docs/deployment.md), for a secured cluster.
"""

from __future__ import annotations

import argparse
import sys

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from iot_kafka_clients.config import KafkaSettingsError, librdkafka_config
from iot_monitor.settings import kafka_properties

SPEC = "NAME:PARTITIONS[:compact]"


def parse_topic(spec: str) -> NewTopic:
    """The topic of one SPEC; argparse's error for a malformed one."""
    name, partitions, *policy = spec.split(":") + ([] if ":" in spec else ["1"])
    if (
        not name
        or not partitions.isdigit()
        or int(partitions) < 1
        or policy not in ([], ["compact"])
    ):
        raise argparse.ArgumentTypeError(f"{spec!r} is not {SPEC}")
    config = {"cleanup.policy": "compact"} if policy else {}
    return NewTopic(name, num_partitions=int(partitions), replication_factor=1, config=config)


def create_topics(bootstrap: str, topics: list[NewTopic], properties: dict[str, str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, **librdkafka_config(properties)})
    futures = admin.create_topics(topics, operation_timeout=30)
    for name, future in futures.items():
        try:
            future.result()
            print(f"created topic {name}")
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument(
        "--kafka.property", dest="properties", action="append", default=[], metavar="KEY=VALUE"
    )
    parser.add_argument("topics", nargs="+", metavar=SPEC, type=parse_topic)
    args = parser.parse_args(argv)
    try:
        create_topics(args.bootstrap, args.topics, kafka_properties(args.properties))
    except (KafkaSettingsError, ValueError) as exc:
        parser.error(f"--kafka.property: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
