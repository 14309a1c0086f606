// The firmware built for the simulator: `devs build <firmware>` in a private
// work dir (a temp dir of symlinks to the project's top-level entries), so a
// build never touches the project's .devicescript/bin and builds can run side
// by side; the result is kept in .devicescript/sim-builds/<hash of the
// sources>, so the next simulator (a scenario, a test file, a board) takes
// it as it is. One build serves any number of simulated boards.

import { createHash } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs"
import { readFileSync, renameSync, rmSync, statSync } from "node:fs"
import { writeFileSync } from "node:fs"
import { symlinkSync, utimesSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { SimError } from "../src/board/errors"
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
 * Removes the private dirs of simulators that were killed (SIGKILL: their
 * exit handlers never ran): `dialguard-<kind>-<pid>-*` of dead pids.
 */
function sweepStale() {
    const tmp = tmpdir()
    for (const name of readdirSync(tmp)) {
        const m = PRIVATE_DIR.exec(name)
        if (m && !alive(Number(m[2])))
            rmSync(join(tmp, name), { recursive: true, force: true })
    }
}

/**
 * A temp dir of this process's own, `dialguard-<kind>-<pid>-XXXXXX`; its
 * owner removes it (if killed before, the next simulator to start does).
 */
export function privateDir(kind: "sim" | "build"): string {
    sweepStale()
    return mkdtempSync(join(tmpdir(), `dialguard-${kind}-${process.pid}-`))
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

/** Where built firmware is kept, by what it was built from. */
const CACHE = join(ROOT, ".devicescript", "sim-builds")
const CACHE_ENTRIES = 10
const SKIP = new Set(["node_modules", ".git", ".devicescript"])

/**
 * What a build is made of: the entry, the devs version, and every file of
 * the project (outside node_modules, .git, .devicescript; package-lock.json
 * stands for the dependencies). Any change gives another hash, so a cached
 * build is never stale; it costs ~10 ms against a build's ~9 s of CPU.
 */
function sourceHash(firmware: string): string {
    const h = createHash("sha256")
    h.update(
        `${firmware}\0${readFileSync(join(dirname(DEVS_CLI), "package.json"))}\0`
    )
    const walk = (rel: string) => {
        for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })
            .filter(e => !SKIP.has(e.name))
            .sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const r = join(rel, e.name)
            if (e.isDirectory()) walk(r)
            else if (e.isFile())
                h.update(`${r}\0`)
                    .update(readFileSync(join(ROOT, r)))
                    .update("\0")
        }
    }
    walk("")
    return h.digest("hex").slice(0, 32)
}

/** Keeps the CACHE_ENTRIES most recently used entries. */
function prune() {
    const entries = readdirSync(CACHE)
        .filter(n => /^[0-9a-f]{32}$/.test(n))
        .map(n => ({ n, t: statSync(join(CACHE, n)).mtimeMs }))
        .sort((a, b) => b.t - a.t)
    for (const { n } of entries.slice(CACHE_ENTRIES))
        rmSync(join(CACHE, n), { recursive: true, force: true })
}

function isEntry(entry: string) {
    return existsSync(join(entry, ".devicescript", "services.json"))
}

/** A build takes ~10-30 s: a lock this old has lost its builder (a reused pid). */
const LOCK_STALE_MS = 5 * 60_000

/** The pid in `lock` if that process still builds, else 0. */
function lockOwner(lock: string): number {
    try {
        const owner = Number(readFileSync(lock, "utf8"))
        const fresh = Date.now() - statSync(lock).mtimeMs < LOCK_STALE_MS
        return owner && owner !== process.pid && fresh && alive(owner)
            ? owner
            : 0
    } catch {
        return 0 // just removed
    }
}

/**
 * One build of a hash at a time on the machine: `<entry>.lock` holds the
 * builder's pid. Resolves to 0 when this process holds it now, else to the
 * builder's pid (the lock of a builder gone is taken over).
 */
function takeLock(entry: string): number {
    mkdirSync(CACHE, { recursive: true })
    const lock = entry + ".lock"
    for (;;) {
        try {
            writeFileSync(lock, String(process.pid), { flag: "wx" })
            return 0
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
        }
        const owner = lockOwner(lock)
        if (owner) return owner
        rmSync(lock, { force: true })
    }
}

/** Until the builder holding `entry`'s lock has built it, given up or gone. */
async function waitForBuild(entry: string) {
    while (!isEntry(entry) && lockOwner(entry + ".lock"))
        await new Promise(r => setTimeout(r, 200))
}

/** Builds in flight in this process, by hash: boards starting together build once. */
const building = new Map<string, Promise<FirmwareBuild>>()

export class FirmwareBuild {
    private constructor(
        /** The dir holding .devicescript/bin and .devicescript/services.json (shared: read only). */
        readonly dir: string,
        /** The entry, relative to the project root. */
        readonly firmware: string,
        /** How long getting it took, ms (`devs build`, or ~0 when cached). */
        readonly ms: number,
        /** It came from the cache. */
        readonly cached: boolean
    ) {}

    /** The program and its debug info, for the VM (sim/vm.ts). */
    get dbgFile() {
        return join(this.dir, ".devicescript", "bin", "bytecode-dbg.json")
    }

    /** The service specs the firmware was built with (sim/specs.ts). */
    get servicesFile() {
        return join(this.dir, ".devicescript", "services.json")
    }

    /**
     * `firmware` (default devs/main.ts) built: from the cache
     * (.devicescript/sim-builds) if the project has not changed since it
     * was built (and DIALGUARD_SIM_REBUILD is not set), else by `devs
     * build` (every output line goes to `log`); while another simulator on
     * this machine builds the same, it waits for that build. A firmware
     * that does not build is a SimError with the compiler's messages (and
     * is not cached).
     */
    static async make(opts: {
        firmware?: string
        log: (line: string) => void
    }): Promise<FirmwareBuild> {
        const firmware = firmwarePath(opts.firmware)
        sweepStale()
        const t0 = Date.now()
        const hash = sourceHash(firmware)
        const entry = join(CACHE, hash)
        let rebuild = !!process.env["DIALGUARD_SIM_REBUILD"]
        for (;;) {
            if (!rebuild && isEntry(entry)) {
                const now = new Date()
                utimesSync(entry, now, now)
                opts.log(`cached ${relative(ROOT, entry)}`)
                return new FirmwareBuild(entry, firmware, Date.now() - t0, true)
            }
            let b = building.get(hash)
            if (!b) {
                const owner = takeLock(entry)
                if (owner) {
                    opts.log(`process ${owner} builds the same; waiting for it`)
                    await waitForBuild(entry)
                    rebuild = false
                    continue
                }
                b = FirmwareBuild.build(firmware, entry, opts.log).finally(
                    () => {
                        building.delete(hash)
                        rmSync(entry + ".lock", { force: true })
                    }
                )
                building.set(hash, b)
            }
            return b
        }
    }

    /** `devs build` in a private work dir, the result moved into the cache as `entry`. */
    private static async build(
        firmware: string,
        entry: string,
        log: (line: string) => void
    ): Promise<FirmwareBuild> {
        const dir = makeWorkDir()
        const t0 = Date.now()
        const out: string[] = []
        try {
            const child = spawnChild(
                "build",
                DEVS_CLI,
                ["build", firmware, "--no-colors", "--quiet"],
                dir,
                l => {
                    out.push(l)
                    log(l)
                }
            )
            const code = await child.exited
            if (code !== 0)
                throw new SimError(
                    `the firmware ${firmware} does not build (devs build exit ${code})`,
                    out.filter(l => !/^using devs:/.test(l))
                )
            // into the cache: a whole entry appears at once (rename), or another
            // process was first with the very same build
            const part = join(dir, "entry")
            mkdirSync(join(part, ".devicescript"), { recursive: true })
            for (const f of ["bin", "services.json"])
                renameSync(
                    join(dir, ".devicescript", f),
                    join(part, ".devicescript", f)
                )
            mkdirSync(CACHE, { recursive: true })
            try {
                if (process.env["DIALGUARD_SIM_REBUILD"])
                    rmSync(entry, { recursive: true, force: true })
                renameSync(part, entry)
            } catch (e) {
                if (!isEntry(entry)) throw e
            }
            prune()
            return new FirmwareBuild(entry, firmware, Date.now() - t0, false)
        } finally {
            rmSync(dir, { recursive: true, force: true })
        }
    }
}
