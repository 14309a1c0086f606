// Runs a DeviceScript program in the VM without --test (no GC stress, so
// timings mean something) and returns what it printed after `marker`.
// A normal run wants a Jacdac bus on 127.0.0.1:8082 (--tcp): a sink that
// accepts and ignores the connection is enough for a program that talks to
// no device. The program cannot end the VM itself, so it is stopped once the
// answer is in.
import { createServer, Socket } from "node:net"
import { ROOT, stripAnsi } from "../sim/bus"
import { spawnChild } from "../sim/proc"

/** Where `devs run --tcp` looks for its bus. */
const TCP_PORT = 8082

/**
 * Resolves with the rest of the first line containing `marker`. With
 * `untilPanic` the program is expected to die (e.g. out of memory): resolves
 * with the rest of the LAST marker line of its first run instead.
 */
export async function runVmProgram(
    entry: string,
    marker: string,
    timeoutMs: number,
    untilPanic = false
): Promise<string> {
    const sockets: Socket[] = []
    const sink = createServer(s => {
        sockets.push(s)
        s.on("error", () => {})
        s.resume()
    })
    await new Promise<void>((resolve, reject) => {
        sink.once("error", e =>
            reject(
                new Error(
                    `port ${TCP_PORT} is in use (a simulator running?): ${(e as Error).message}`
                )
            )
        )
        sink.listen(TCP_PORT, "127.0.0.1", () => resolve())
    })
    let last: string = undefined
    let done: (v: string) => void
    let fail: (e: Error) => void
    const result = new Promise<string>((res, rej) => {
        done = res
        fail = rej
    })
    const onLine = (line: string) => {
        const l = stripAnsi(line)
        const at = l.indexOf(marker)
        if (at >= 0) {
            last = l.slice(at + marker.length)
            if (!untilPanic) done(last)
        } else if (
            untilPanic &&
            last !== undefined &&
            l.includes("DeviceScript Simulator")
        ) {
            // After a panic the VM starts the program again: the first run is over.
            done(last)
        } else if (l.includes("Exception:") || l.includes("PANIC")) {
            // The exception arrives on stderr and may overtake stdout lines.
            if (untilPanic)
                setTimeout(
                    () =>
                        last !== undefined ? done(last) : fail(new Error(l)),
                    2000
                )
            else fail(new Error(`${entry}: ${l.trim()}`))
        }
    }
    const cli = "node_modules/@devicescript/cli/devicescript"
    const vm = spawnChild(
        "vm",
        process.execPath,
        [cli, "run", entry, "--tcp", "--no-colors"],
        ROOT,
        onLine
    )
    const timer = setTimeout(
        () =>
            fail(
                new Error(
                    `${entry}: no "${marker}" line within ${timeoutMs} ms`
                )
            ),
        timeoutMs
    )
    try {
        return await result
    } finally {
        clearTimeout(timer)
        await vm.stop()
        for (const s of sockets) s.destroy()
        sink.close()
    }
}
