// The firmware built for the simulator: `devs build <firmware>` in a private
// work dir (a temp dir of symlinks to the project's top-level entries), so a
// build never touches the project's .devicescript/bin and builds can run side
// by side. One build serves any number of simulated boards (SimBus `build`).

import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs"
import { existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { SimError } from "./errors"
import { spawnChild } from "./proc"

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
export const DEVS_CLI = join(
    ROOT,
    "node_modules",
    "@devicescript",
    "cli",
    "devicescript"
)

const PRIVATE_DIR = /^dialguard-(sim|build)-(\d+)-/

function alive(pid: number) {
    try {
        process.kill(pid, 0)
        return true
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM"
    }
}

/**
 * A temp dir of this process's own, `dialguard-<kind>-<pid>-XXXXXX`: it is
 * removed when the process exits, and if it was killed (SIGKILL) before,
 * by the next simulator to start, which first removes those of dead pids.
 */
export function privateDir(kind: "sim" | "build"): string {
    const tmp = tmpdir()
    for (const name of readdirSync(tmp)) {
        const m = PRIVATE_DIR.exec(name)
        if (m && !alive(Number(m[2])))
            rmSync(join(tmp, name), { recursive: true, force: true })
    }
    return mkdtempSync(join(tmp, `dialguard-${kind}-${process.pid}-`))
}

/** A temp dir that looks like the project: symlinks to each top-level entry. */
function makeWorkDir(): string {
    const dir = privateDir("build")
    for (const name of readdirSync(ROOT)) {
        if (name === ".devicescript" || name === ".git") continue
        symlinkSync(join(ROOT, name), join(dir, name))
    }
    return dir
}

/** The firmware entry relative to the project root; a SimError if it is not there. */
export function firmwarePath(fw = "devs/main.ts") {
    const rel = relative(ROOT, resolve(ROOT, fw))
    if (rel.startsWith("..") || !existsSync(join(ROOT, rel)))
        throw new SimError(
            `firmware ${fw} not found (give a .ts file inside ${ROOT})`
        )
    return rel
}

export class FirmwareBuild {
    private removeOnExit = () => this.remove()

    private constructor(
        /** The work dir holding .devicescript/bin and services.json. */
        readonly dir: string,
        /** The entry, relative to the project root. */
        readonly firmware: string,
        /** How long `devs build` took, ms. */
        readonly ms: number,
        private readonly keep: boolean
    ) {
        process.on("exit", this.removeOnExit)
    }

    /** The program and its debug info, for the VM (sim/vm.ts). */
    get dbgFile() {
        return join(this.dir, ".devicescript", "bin", "bytecode-dbg.json")
    }

    /** The service specs the firmware was built with (sim/specs.ts). */
    get servicesFile() {
        return join(this.dir, ".devicescript", "services.json")
    }

    /**
     * Builds `firmware` (default devs/main.ts); every output line goes to
     * `log`. A firmware that does not build is a SimError with the
     * compiler's messages. `keep`: leave the work dir behind.
     */
    static async make(opts: {
        firmware?: string
        log: (line: string) => void
        keep?: boolean
    }): Promise<FirmwareBuild> {
        const firmware = firmwarePath(opts.firmware)
        const dir = makeWorkDir()
        const t0 = Date.now()
        const out: string[] = []
        const child = spawnChild(
            "build",
            DEVS_CLI,
            ["build", firmware, "--no-colors", "--quiet"],
            dir,
            l => {
                out.push(l)
                opts.log(l)
            }
        )
        const code = await child.exited
        const build = new FirmwareBuild(
            dir,
            firmware,
            Date.now() - t0,
            !!opts.keep
        )
        if (code !== 0) {
            build.remove()
            throw new SimError(
                `the firmware ${firmware} does not build (devs build exit ${code})`,
                out.filter(l => !/^using devs:/.test(l))
            )
        }
        return build
    }

    /** Removes the work dir (unless kept); also done when the process exits. */
    remove() {
        process.off("exit", this.removeOnExit)
        if (!this.keep) rmSync(this.dir, { recursive: true, force: true })
    }
}
