// Child processes of the simulator: each runs under sim/guard.mjs in its own
// process group, so stopping it (or the simulator dying) takes down all it
// started. Every live child is killed when this process exits, on
// SIGINT/SIGTERM/SIGHUP too.

import { spawn, ChildProcess } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const GUARD = fileURLToPath(new URL("./guard.mjs", import.meta.url))

export interface Child {
    readonly name: string
    readonly pid: number
    /** Resolves to the exit code once the child has exited. */
    readonly exited: Promise<number>
    readonly running: boolean
    /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once it exited. */
    stop(graceMs?: number): Promise<void>
}

const live = new Set<ChildProcess>()
let handlersInstalled = false

function killGroup(p: ChildProcess, signal: NodeJS.Signals) {
    if (p.pid === undefined) return
    try {
        process.kill(-p.pid, signal)
    } catch {
        // already gone
    }
}

function installHandlers() {
    if (handlersInstalled) return
    handlersInstalled = true
    process.on("exit", () => {
        for (const p of live) killGroup(p, "SIGKILL")
    })
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.on(sig, () => {
            // Only when nobody else handles it (readline handles its own ^C).
            if (process.listenerCount(sig) > 1) return
            for (const p of live) killGroup(p, "SIGKILL")
            process.exit(
                128 + (sig === "SIGINT" ? 2 : sig === "SIGHUP" ? 1 : 15)
            )
        })
    }
}

/** Kills every child still running (synchronously, SIGKILL). */
export function killAllChildren() {
    for (const p of live) killGroup(p, "SIGKILL")
}

/**
 * Starts `cmd args` in `cwd` under the guard; every output line (stdout and
 * stderr) goes to `onLine`.
 */
export function spawnChild(
    name: string,
    cmd: string,
    args: string[],
    cwd: string,
    onLine: (line: string, stream: "out" | "err") => void
): Child {
    installHandlers()
    const p = spawn(process.execPath, [GUARD, cmd, ...args], {
        cwd,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    })
    live.add(p)
    let running = true
    const exited = new Promise<number>(resolve => {
        p.on("exit", (code, signal) => {
            running = false
            live.delete(p)
            resolve(code ?? (signal ? 128 : 1))
        })
        p.on("error", () => {
            running = false
            live.delete(p)
            resolve(127)
        })
    })
    createInterface({ input: p.stdout! }).on("line", l => onLine(l, "out"))
    createInterface({ input: p.stderr! }).on("line", l => onLine(l, "err"))
    return {
        name,
        pid: p.pid ?? -1,
        exited,
        get running() {
            return running
        },
        async stop(graceMs = 2000) {
            if (!running) return
            killGroup(p, "SIGTERM")
            const t = setTimeout(() => killGroup(p, "SIGKILL"), graceMs)
            await exited
            clearTimeout(t)
        },
    }
}
