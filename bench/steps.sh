# Sourced by the bench/run_*.sh scripts: `want STEP` is true when STEP is in $steps (the STEPS
# variable, or the script's default list); `run NAME OUTPUT COMMAND...` runs the command into
# OUTPUT (through a temporary file), skipping it when OUTPUT exists, so an interrupted run
# continues where it stopped.
want() { [[ " $steps " == *" $1 "* ]]; }
run() {
  local name=$1 output=$2
  shift 2
  if [[ -e "$output" ]]; then echo "== $name: $output exists, skipped" >&2; return; fi
  echo "== $name: $*" >&2
  "$@" > "$output.tmp" && mv "$output.tmp" "$output"
}
