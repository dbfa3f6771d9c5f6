#!/usr/bin/env bash
# Install what the charts expect in the cluster, once per cluster: cert-manager (the
# Flink Kubernetes Operator's webhook needs it; it can also issue Kafka's
# certificates) and the operator itself, watching every namespace. Needs access to
# the charts' public repositories.
#   scripts/deploy-prerequisites.sh [--dry-run]
set -euo pipefail
cert_manager_version="${CERT_MANAGER_VERSION:-v1.19.1}"
# 1.15 supports Flink 2.2; the mirror keeps only current releases, the archive all.
flink_operator_version="${FLINK_OPERATOR_VERSION:-1.15.0}"
operator_namespace="${FLINK_OPERATOR_NAMESPACE:-flink-operator}"
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "$0")/deploy-lib.sh"
case "${1:-}" in
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "usage: $(basename "$0") [--dry-run]" >&2; exit 2 ;;
esac

if (( ! dry_run )); then
  command -v helm >/dev/null || { echo "error: helm not found (scripts/install-deploy-tools.sh)" >&2; exit 1; }
  command -v kubectl >/dev/null || { echo "error: kubectl not found" >&2; exit 1; }
  kubectl cluster-info --request-timeout=10s >/dev/null 2>&1 \
    || { echo "error: no Kubernetes cluster answers: check 'kubectl config current-context'" >&2; exit 1; }
fi

run helm repo add jetstack https://charts.jetstack.io --force-update
operator_repo="flink/flink-kubernetes-operator-$flink_operator_version/"
if ! run helm repo add flink-operator-repo "https://downloads.apache.org/$operator_repo" \
  --force-update; then
  echo "not on the mirror any more: taking flink-kubernetes-operator $flink_operator_version" \
    "from the archive" >&2
  run helm repo add flink-operator-repo "https://archive.apache.org/dist/$operator_repo" \
    --force-update
fi
run helm upgrade --install cert-manager jetstack/cert-manager \
  --namespace cert-manager --create-namespace --version "$cert_manager_version" \
  --set crds.enabled=true --wait --timeout 10m
run helm upgrade --install flink-kubernetes-operator flink-operator-repo/flink-kubernetes-operator \
  --namespace "$operator_namespace" --create-namespace --version "$flink_operator_version" \
  --wait --timeout 10m
