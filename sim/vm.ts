// The firmware's DeviceScript VM, in-process: the WASM VM that `devs run`
// uses, taken from @devicescript/cli's bundle and run in a worker thread per
// board (sim/vmWorker.mjs). No process, no port: its Jacdac frames go to
// `onFrame` and `send` feeds it frames; its flash is a file; its console
// comes out as the lines `devs run` would print ("WASM> ..." for the
// firmware's console, stack frames resolved, "PANIC <code>").
//
// stop() terminates the worker at once: the board loses power. Whatever the
// VM saved to its flash file stays (it writes the file synchronously).

import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import { SimError } from "../src/board/errors"
import { DebugInfo, stackFrameResolver } from "./stackFrames"

const CLI_BUNDLE = createRequire(import.meta.url).resolve(
    "@devicescript/cli/built/devicescript-cli.cjs"
)
const WORKER = new URL("./vmWorker.mjs", import.meta.url)
/** Where the VM module starts and ends in the CLI bundle (esbuild's comments). */
const VM_MODULE =
    '"runtime/devicescript-vm/built/devicescript-vm.js"(exports, module2) {'
const NEXT_MODULE = "\n// "

let vmSource: string | undefined

/** The VM module's source (a CommonJS body), read once per process. */
function loadVmSource(): string {
    if (vmSource) return vmSource
    const bundle = readFileSync(CLI_BUNDLE, "utf8")
    const start = bundle.indexOf(VM_MODULE)
    const end = bundle.indexOf(NEXT_MODULE, start)
    // the body ends with the "}" of the function and "});" of __commonJS
    const body = bundle.slice(start + VM_MODULE.length, end)
    const close = body.lastIndexOf("}", body.lastIndexOf("}") - 1)
    if (start < 0 || end < 0 || !/devsDeploy/.test(body) || close < 0)
        throw new SimError(
            `cannot find the DeviceScript VM in ${CLI_BUNDLE}: this @devicescript/cli is not the 2.16 the simulator knows`
        )
    return (vmSource = body.slice(0, close))
}

export interface VmOptions {
    /** The VM's device id (16 hex digits): the same id across power cycles. */
    deviceId: string
    /** The board's flash: read at start, written whenever the VM syncs it. */
    flashFile: string
    /** bytecode-dbg.json from `devs build`: the program and its debug info. */
    dbgFile: string
    /** Each Jacdac frame the VM sends. */
    onFrame: (frame: Uint8Array) => void
    /** Each line the VM prints, as `devs run` prints it. */
    onLine: (line: string, stream: "out" | "err") => void
    /** The worker died on its own (not by stop()). */
    onExit?: (code: number) => void
}

/** "<marker> text" dmesg lines are what `devs run` shows; the rest is chatter. */
const DMESG = /^\s*([*!?>#]) (.*)$/

export class FirmwareVm {
    /** Resolves once the program is deployed; a SimError if it cannot be. */
    readonly deployed: Promise<void>
    private readonly worker: Worker
    private readonly exited: Promise<number>
    private stopping = false

    /** Starts the VM with the program (see `deployed`). */
    constructor(opts: VmOptions) {
        const dbg = JSON.parse(readFileSync(opts.dbgFile, "utf8"))
        const program = Buffer.from(dbg.binary.hex, "hex")
        const resolveFrames = stackFrameResolver(dbg as DebugInfo)
        const worker = new Worker(WORKER, {
            workerData: {
                source: loadVmSource(),
                sourceFile: CLI_BUNDLE,
                deviceId: opts.deviceId,
                flashFile: opts.flashFile,
                program,
            },
            stdout: false,
            stderr: false,
        })
        this.worker = worker
        this.exited = new Promise(resolve =>
            worker.once("exit", code => {
                if (!this.stopping) opts.onExit?.(code)
                resolve(code)
            })
        )
        let deployed!: (code: number) => void
        const deploy = new Promise<number>(r => (deployed = r))
        worker.on("message", m => {
            if (m.frame) opts.onFrame(m.frame)
            else if (m.dmesg !== undefined) {
                const d = DMESG.exec(m.dmesg)
                if (d) opts.onLine("WASM> " + resolveFrames(d[2]), "out")
                // the heap at an out-of-memory panic, as the VM counts it:
                // "stats: N objects, U B used, F B free (M B max block)"
                else if (/^\s*stats: \d+ objects/.test(m.dmesg))
                    opts.onLine("WASM> heap " + m.dmesg.trim(), "out")
            } else if (m.out !== undefined) opts.onLine(m.out, "out")
            else if (m.err !== undefined) opts.onLine(m.err, "err")
            else if (m.deployed !== undefined) deployed(m.deployed)
            else if (m.clockDone !== undefined) {
                this.clockWaits.get(m.clockDone)?.()
                this.clockWaits.delete(m.clockDone)
            }
        })
        worker.on("error", e =>
            opts.onLine(`vm worker error: ${e.stack ?? e.message}`, "err")
        )
        this.deployed = Promise.race([
            deploy,
            this.exited.then(
                c => `the firmware VM exited at start (code ${c})`
            ),
        ]).then(code => {
            if (code === 0) return
            throw new SimError(
                typeof code === "string"
                    ? code
                    : `the firmware VM refused the program (deploy error ${code})`
            )
        })
    }

    private clockWaits = new Map<number, () => void>()
    private clockSeq = 0

    /**
     * The VM's clock: `hold` slows it down to a tenth (true) or lets it run
     * with the host's again (false); `advanceMs` moves it on, in steps of
     * 1.5 s (sim/vmWorker.mjs). Resolves once done.
     */
    clock(c: { hold?: boolean; advanceMs?: number }): Promise<void> {
        const id = ++this.clockSeq
        return new Promise(resolve => {
            this.clockWaits.set(id, resolve)
            this.worker.postMessage({ clock: { ...c, id } })
        })
    }

    /** A frame from the bus to the VM. */
    send(frame: Uint8Array) {
        this.worker.postMessage(frame)
    }

    /** Power off: the worker is terminated; resolves once it is gone. */
    async stop() {
        this.stopping = true
        await this.worker.terminate()
        await this.exited
    }
}
