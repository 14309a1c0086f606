// jacdac-ts and the devs tooling chat on the console ("tcp: connecting",
// "roles updated", ...). While the simulator runs, console.* goes to the
// session log instead; the simulator itself prints with process.stdout.

import { appendFileSync } from "node:fs"
import { format } from "node:util"
import { jacdacConsole } from "./jd"

export function quietConsole(logFile: string): () => void {
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
                appendFileSync(logFile, `jacdac ${level}: ${format(...args)}\n`)
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
