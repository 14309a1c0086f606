// Runs one simulator child (devs devtools, devs run) so that it can never
// outlive the simulator: this guard is started detached, as the leader of a
// new process group, with a pipe on stdin. When the simulator dies, even by
// SIGKILL, the pipe closes and the guard kills its whole group.
//
//   node sim/guard.mjs <command> [args...]
//
// SIGTERM to the guard: SIGTERM to the child, SIGKILL to the group after 2 s.
// The guard exits with the child's exit code (128 + signal number if killed).
import { spawn } from "node:child_process"
import { constants } from "node:os"

const [cmd, ...args] = process.argv.slice(2)
const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"] })

function killGroup() {
    try {
        process.kill(-process.pid, "SIGKILL")
    } catch {
        process.exit(137)
    }
}

process.stdin.on("end", killGroup)
process.stdin.on("error", killGroup)
process.stdin.resume()

process.on("SIGTERM", () => {
    child.kill("SIGTERM")
    setTimeout(killGroup, 2000).unref()
})
process.on("SIGINT", () => {})

child.on("error", e => {
    process.stderr.write(`guard: cannot run ${cmd}: ${e.message}\n`)
    process.exit(127)
})
child.on("exit", (code, signal) => {
    const n = signal ? 128 + (constants.signals[signal] ?? 0) : code
    process.exit(n ?? 1)
})
