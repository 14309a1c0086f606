// Runs a DeviceScript program in the VM without --test (no GC stress, so
// timings mean something) and returns what it printed after `marker`.
// A normal run wants a Jacdac bus on 127.0.0.1:8082 (--tcp): a sink that
// accepts and ignores the connection is enough for a program that talks to
// no device. The program cannot end the VM itself, so it is stopped once the
// marker line arrives.
import { createServer, Socket } from "node:net"
import { ROOT, stripAnsi, TCP_PORT } from "../sim/bus"
import { spawnChild } from "../sim/proc"

export async function runVmProgram(
    entry: string,
    marker: string,
    timeoutMs: number
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
    let done: (v: string) => void
    let fail: (e: Error) => void
    const result = new Promise<string>((res, rej) => {
        done = res
        fail = rej
    })
    const cli = "node_modules/@devicescript/cli/devicescript"
    const vm = spawnChild(
        "vm",
        process.execPath,
        [cli, "run", entry, "--tcp", "--no-colors"],
        ROOT,
        line => {
            const l = stripAnsi(line)
            const at = l.indexOf(marker)
            if (at >= 0) done(l.slice(at + marker.length))
            else if (l.includes("Exception:") || l.includes("PANIC"))
                fail(new Error(`${entry}: ${l.trim()}`))
        }
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
