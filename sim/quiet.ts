// jacdac-ts and the devs tooling chat on the console ("tcp: connecting",
// "roles updated", ...). While the simulator runs, console.* goes to the
// session log instead; the simulator itself prints with process.stdout.
// The console is the process's: with several sessions at once it goes to
// the log of the latest one still running, and comes back when all stopped.

import { appendFileSync } from "node:fs"
import { format } from "node:util"
import { jacdacConsole } from "../src/board/jd"

/** Logs of the running sessions, latest last. */
const logs: string[] = []
let restore: (() => void) | undefined

function redirect() {
    const saved = {
        log: console.log,
        info: console.info,
        debug: console.debug,
        warn: console.warn,
        error: console.error,
    }
    const to =
        (level: string) =>
        (...args: unknown[]) => {
            try {
                const file = logs[logs.length - 1]
                if (file)
                    appendFileSync(
                        file,
                        `jacdac ${level}: ${format(...args)}\n`
                    )
            } catch {
                // the log is best effort
            }
        }
    const savedJd = { ...jacdacConsole }
    console.log = to("log")
    console.info = to("info")
    console.debug = () => {}
    console.warn = to("warn")
    console.error = to("error")
    jacdacConsole.warn = to("warn")
    jacdacConsole.debug = () => {}
    return () => {
        Object.assign(console, saved)
        Object.assign(jacdacConsole, savedJd)
    }
}

export function quietConsole(logFile: string): () => void {
    logs.push(logFile)
    restore ??= redirect()
    let done = false
    return () => {
        if (done) return
        done = true
        logs.splice(logs.lastIndexOf(logFile), 1)
        if (logs.length) return
        restore?.()
        restore = undefined
    }
}
