#!/usr/bin/env bash
# Shared by the deploy-* and stop-* scripts (sourced, not run): arguments, tool and
# cluster checks, and `run`, which prints a command instead of running it under
# --dry-run. Every environment has its own namespace, device-monitor-<env>.
# shellcheck disable=SC2034  # the variables are read by the scripts that source this

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
charts="$root/infrastructure"
dry_run=0
env_name=""
wait_timeout="${HELM_TIMEOUT:-10m}"
# helm built by scripts/install-deploy-tools.sh lives in the Go bin directory.
gobin="${GOBIN:-${GOPATH:-$HOME/go}/bin}"
if ! command -v helm >/dev/null && [[ -x "$gobin/helm" ]]; then
  PATH="$gobin:$PATH"
fi

die() {
  echo "error: $*" >&2
  exit 1
}

parse_args() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      --dry-run) dry_run=1 ;;
      dev|qa|prod) env_name="$arg" ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  [[ -n "$env_name" ]] || { usage >&2; exit 2; }
  namespace="device-monitor-$env_name"
}

usage() {
  echo "usage: $(basename "$0") dev|qa|prod [--dry-run]"
  echo "  --dry-run  print the helm and kubectl commands instead of running them"
}

run() {
  if (( dry_run )); then
    printf '%q ' "$@" | sed 's/ $//'
    echo
  else
    "$@"
  fi
}

# helm and kubectl on the PATH and a cluster that answers; skipped under --dry-run.
require_cluster() {
  (( dry_run )) && return 0
  command -v helm >/dev/null \
    || die "helm not found: install Helm 3 (scripts/install-deploy-tools.sh builds it into ~/go/bin)"
  command -v kubectl >/dev/null \
    || die "kubectl not found: install it (https://kubernetes.io/docs/tasks/tools/)"
  kubectl cluster-info --request-timeout=10s >/dev/null 2>&1 \
    || die "no Kubernetes cluster answers: check 'kubectl config current-context'"
}

require_flink_operator() {
  (( dry_run )) && return 0
  kubectl get crd flinkdeployments.flink.apache.org >/dev/null 2>&1 \
    || die "the Flink Kubernetes Operator is not installed: run scripts/deploy-prerequisites.sh first (docs/deployment.md)"
}

# The namespace, labelled so that only pods meeting the restricted Pod Security
# Standard are admitted.
ensure_namespace() {
  if (( dry_run )) || ! kubectl get namespace "$namespace" >/dev/null 2>&1; then
    run kubectl create namespace "$namespace"
  fi
  run kubectl label namespace "$namespace" --overwrite \
    pod-security.kubernetes.io/enforce=restricted \
    app.kubernetes.io/part-of=iot-device-monitor
}

helm_install() {
  local chart="$1"
  shift
  run helm upgrade --install "$chart" "$charts/$chart" \
    --namespace "$namespace" \
    --values "$charts/$chart/values-$env_name.yaml" \
    --wait --wait-for-jobs --timeout "$wait_timeout" "$@"
}

helm_uninstall() {
  local chart="$1"
  run helm uninstall "$chart" --namespace "$namespace" --ignore-not-found --wait
}

# The monitor: image overrides from the environment, then wait for the job to run.
install_monitor() {
  local extra=()
  [[ -n "${MONITOR_IMAGE_REPOSITORY:-}" ]] && extra+=(--set "image.repository=$MONITOR_IMAGE_REPOSITORY")
  [[ -n "${MONITOR_IMAGE_TAG:-}" ]] && extra+=(--set "image.tag=$MONITOR_IMAGE_TAG")
  [[ -n "${INITIAL_SAVEPOINT:-}" ]] && extra+=(--set "initialSavepointPath=$INITIAL_SAVEPOINT")
  require_flink_operator
  helm_install flink "${extra[@]}"
  run kubectl wait flinkdeployment/iot-monitor --namespace "$namespace" \
    --for=jsonpath='{.status.lifecycleState}'=STABLE --timeout=10m
}

# Suspending first makes the operator take a savepoint, so that no state is lost.
stop_monitor() {
  if (( dry_run )) || kubectl get flinkdeployment/iot-monitor --namespace "$namespace" >/dev/null 2>&1; then
    run kubectl patch flinkdeployment/iot-monitor --namespace "$namespace" --type merge \
      --patch '{"spec":{"job":{"state":"suspended"}}}'
    run kubectl wait flinkdeployment/iot-monitor --namespace "$namespace" \
      --for=jsonpath='{.status.lifecycleState}'=SUSPENDED --timeout=10m
    run kubectl get flinkdeployment/iot-monitor --namespace "$namespace" \
      --output=jsonpath='last savepoint: {.status.jobStatus.savepointInfo.lastSavepoint.location}{"\n"}'
  fi
  helm_uninstall flink
}
