# Sourced by gdt's SLURM batch scripts. `run_with_requeue CMD...` runs CMD (normally
# `srun ... gdt launch ...`) in the background and waits for it. On SIGUSR1, which SLURM sends to
# the batch shell before the time limit (`#SBATCH --signal=B:USR1@120`), it forwards SIGUSR1 to the
# job step (srun passes it to every task, `gdt launch` to every rank; the trainer finishes its
# current step, writes a checkpoint and exits), waits for the step, then requeues the job with
# `scontrol requeue`. The requeued job runs the same command, which resumes from the latest
# checkpoint in --out. SIGTERM (scancel, pre-emption by another job) is forwarded the same way;
# SLURM itself requeues pre-empted jobs when the partition's PreemptMode is REQUEUE.

run_with_requeue() {
  local requeue=0 status=0 pid=''
  trap 'echo "$(date -Is) gdt: SIGUSR1 (time limit near): checkpointing, then requeueing job ${SLURM_JOB_ID:-?}"; requeue=1; if [ -n "$pid" ]; then kill -USR1 "$pid" 2>/dev/null || true; fi' USR1
  trap 'echo "$(date -Is) gdt: SIGTERM: forwarding to the job step"; if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi' TERM
  "$@" &
  pid=$!
  # A signal that came before the step existed is delivered now.
  if [ "$requeue" = 1 ]; then kill -USR1 "$pid" 2>/dev/null || true; fi
  while true; do
    # `wait` returns early (status > 128) when a trapped signal arrives while the step still runs.
    set +e
    wait "$pid"
    status=$?
    set -e
    kill -0 "$pid" 2>/dev/null || break
  done
  trap - USR1 TERM
  if [ "$requeue" = 1 ]; then
    echo "$(date -Is) gdt: the job step exited with status $status; requeueing job ${SLURM_JOB_ID:?}"
    scontrol requeue "$SLURM_JOB_ID"
    return 0
  fi
  return "$status"
}
