#!/usr/bin/env bash
# Terraform end to end (the README's Terraform recipe, tests/terraform/main.tf): init, apply,
# a check of what was made with boto3 (tests/terraform/check.py), a plan that must find no
# changes (-detailed-exitcode 0), and destroy, against a fresh emulator. Every KMS resource and
# data source of the AWS provider is in the configuration, and the provider learns its account
# from the emulator's STS GetCallerIdentity.
#
#   KMS_BIN=target/debug/kms-emulator scripts/terraform-test.sh
#
# Offline: the provider comes from a filesystem mirror (TF_PROVIDER_MIRROR, /opt/tf-plugins by
# default, holding registry.terraform.io/hashicorp/aws). Without terraform or the mirror the
# test says it is skipped, and why, and exits 0. Needs the Python venv python-smoke.sh makes
# (KMS_VENV, .venv by default) for the boto3 check.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
KMS_BIN="${KMS_BIN:-target/debug/kms-emulator}"
MIRROR="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
VENV="${KMS_VENV:-$ROOT/.venv}"

if ! command -v terraform >/dev/null; then
    echo "terraform-test: SKIPPED: terraform is not installed on this machine"
    exit 0
fi
if [[ ! -d "$MIRROR/registry.terraform.io/hashicorp/aws" ]]; then
    echo "terraform-test: SKIPPED: no hashicorp/aws provider mirror under $MIRROR (set TF_PROVIDER_MIRROR)"
    exit 0
fi
# The README shows this configuration; it must be the one tested.
python3 -c 'import sys; sys.exit(open(sys.argv[1]).read() not in open(sys.argv[2]).read())' \
    tests/terraform/main.tf README.md || { echo "terraform-test: README.md's Terraform recipe is not tests/terraform/main.tf" >&2; exit 1; }
[[ -x "$KMS_BIN" ]] || { echo "terraform-test: $KMS_BIN not found (build it first, or set KMS_BIN)" >&2; exit 2; }
[[ -x "$VENV/bin/python" ]] || { echo "terraform-test: no Python venv at $VENV (scripts/python-smoke.sh makes it)" >&2; exit 2; }

# shellcheck source=scripts/lib/emulator.sh
source "$ROOT/scripts/lib/emulator.sh"
start_emulator terraform-test --account-id 111122223333 --region us-east-1 --throttle off
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kms-terraform.XXXXXX")"
cleanup() { stop_emulator; rm -rf "$WORK"; }
trap cleanup EXIT
cp tests/terraform/main.tf "$WORK/"
cat > "$WORK/terraformrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
TFRC
export TF_CLI_CONFIG_FILE="$WORK/terraformrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
# Terraform and the provider are Go programs that mostly wait here: one thread and a lazier
# garbage collector cut their CPU time by a quarter (75 s to 60 s), which matters when CI runs
# this beside the other tests on two cores.
export GOMAXPROCS="${GOMAXPROCS:-1}" GOGC="${GOGC:-400}"

tf() {
    local step=$1
    shift
    if ! terraform -chdir="$WORK" "$@" -no-color > "$WORK/$step.log" 2>&1; then
        echo "terraform-test: terraform $step failed:" >&2
        tail -n 40 "$WORK/$step.log" >&2
        echo "terraform-test: last server output:" >&2
        tail -n 20 "$SERVER_LOG" >&2
        exit 1
    fi
    echo "terraform-test: $step ok [${SECONDS}s]"
}

tf init init -input=false
tf apply apply -auto-approve -input=false -var "endpoint=$ENDPOINT"
terraform -chdir="$WORK" output -json > "$WORK/outputs.json"
"$VENV/bin/python" tests/terraform/check.py "$ENDPOINT" "$WORK/outputs.json"
tf plan plan -detailed-exitcode -input=false -var "endpoint=$ENDPOINT"
tf destroy destroy -auto-approve -input=false -var "endpoint=$ENDPOINT"
left=$("$VENV/bin/python" - "$ENDPOINT" <<'PY'
import sys, boto3
kms = boto3.client("kms", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
print(sum(1 for k in keys if k["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion")))
PY
)
[[ "$left" == 0 ]] || { echo "terraform-test: $left keys are not pending deletion after destroy" >&2; exit 1; }
echo "terraform-test: apply, check, plan (no changes) and destroy passed"
