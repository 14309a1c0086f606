// Runs a DeviceScript program in the VM without --test (no GC stress, so
// timings mean something) and returns what it printed after `marker`: the
// program built by `devs build` and run in the simulator's in-process VM
// (sim/vm.ts), on no bus at all (the program talks to no device). The
// program cannot end the VM itself, so it is stopped once the answer is in.
import { rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { FirmwareBuild } from "../sim/build"
import { stripAnsi } from "../sim/bus"
import { FirmwareVm } from "../sim/vm"

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
    let last: string | undefined = undefined
    let done!: (v: string) => void
    let fail!: (e: Error) => void
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
            // The exception may come before the last marker line is handled.
            if (untilPanic)
                setTimeout(
                    () =>
                        last !== undefined ? done(last) : fail(new Error(l)),
                    2000
                )
            else fail(new Error(`${entry}: ${l.trim()}`))
        }
    }
    const build = await FirmwareBuild.make({ firmware: entry, log: () => {} })
    const flashFile = join(tmpdir(), `dialguard-vmrun-${process.pid}.bin`)
    const vm = new FirmwareVm({
        deviceId: "d1a16a2d513000bb",
        flashFile,
        dbgFile: build.dbgFile,
        onFrame: () => {},
        onLine,
    })
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
        await vm.deployed
        return await result
    } finally {
        clearTimeout(timer)
        await vm.stop()
        rmSync(flashFile, { force: true })
    }
}
