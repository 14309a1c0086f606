// Simulated boards side by side in one process (sim/session.ts): for N
// boards of the real firmware, one shared build, started at once, how long
// until every board has taken on its ports, and what each costs in memory
// (the process's RSS over what it held before, per board).
//
//   npx tsx scripts/boardsBench.ts [N ...]      (default 1 4 8)
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { FirmwareBuild } from "../sim/build"
import { SimSession } from "../sim/session"

export interface BoardsFigure {
    boards: number
    /** From starting all N to the last one ready (ports taken on), ms. */
    startMs: number
    /** The slowest single board's start, ms. */
    slowestBoardMs: number
    rssPerBoardMB: number
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20)

async function startBoards(n: number, build: FirmwareBuild) {
    const rss0 = process.memoryUsage.rss()
    const t0 = Date.now()
    const started = await Promise.allSettled(
        Array.from({ length: n }, async (_, i) => {
            const s = await SimSession.start({
                build,
                ports: ["8001", "8101"],
                board: `bench-${i}`,
                logFile: join(tmpdir(), `dialguard-boards-bench-${i}.log`),
            })
            const missing = await s.waitPortsReady()
            if (missing.length)
                throw new Error(`board ${i} missing ${missing.join(", ")}`)
            return { s, ms: Date.now() - t0 }
        })
    )
    const startMs = Date.now() - t0
    const rss = process.memoryUsage.rss() - rss0
    const ok = started.flatMap(r => (r.status === "fulfilled" ? [r.value] : []))
    await Promise.all(ok.map(r => r.s.stop()))
    const failed = started.find(r => r.status === "rejected")
    if (failed) throw (failed as PromiseRejectedResult).reason
    return {
        boards: n,
        startMs,
        slowestBoardMs: Math.max(...ok.map(r => r.ms)),
        rssPerBoardMB: mb(rss / n),
    }
}

export async function boardsFigures(counts = [1, 4, 8]) {
    const build = await FirmwareBuild.make({ log: () => {} })
    const figures: BoardsFigure[] = []
    // a first board warms the process up (module loading, JIT)
    await startBoards(1, build)
    for (const n of counts) figures.push(await startBoards(n, build))
    return { buildMs: build.ms, buildCached: build.cached, figures }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
    const counts = process.argv.slice(2).map(Number)
    const r = await boardsFigures(counts.length ? counts : undefined)
    process.stdout.write(JSON.stringify(r, null, 2) + "\n")
    process.exit(0)
}
