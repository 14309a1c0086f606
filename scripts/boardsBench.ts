// Simulated boards side by side in one process (sim/session.ts): for N
// boards of the real firmware, one shared build, started at once, how long
// until every board has taken on its ports, and what each costs in memory
// (the process's RSS over what it held before, per board). Then whole
// sites (sim/site.ts): the first N boards of sim/sites/tower.site.json (4
// handsets each), every board configured, given its share of the policy
// and syncing with an embedded broker: the site's boot time (start to
// every board enforcing its policy with its ports taken on) and RSS per board.
//
//   npx tsx scripts/boardsBench.ts [N ...]      (default 1 4 8)
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { startEmbeddedBroker } from "../src/fleet/embedded"
import { ROOT } from "../sim/bus"
import { FirmwareBuild } from "../sim/build"
import { SimSession } from "../sim/session"
import { SimSite, parseSiteFile } from "../sim/site"

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

export interface SiteFigure {
    boards: number
    handsets: number
    /** From the start to every board ready with its policy share applied, ms. */
    bootMs: number
    rssPerBoardMB: number
}

const TOWER = join(ROOT, "sim", "sites", "tower.site.json")

async function bootSite(n: number, build: FirmwareBuild): Promise<SiteFigure> {
    const tower = parseSiteFile(TOWER)
    const spec = { ...tower, boards: tower.boards.slice(0, n) }
    const broker = await startEmbeddedBroker(0, "127.0.0.1")
    const rss0 = process.memoryUsage.rss()
    const t0 = Date.now()
    const site = await SimSite.start(spec, {
        build,
        logFile: b => join(tmpdir(), `dialguard-site-bench-${b}.log`),
        sync: {
            brokerUrl: broker.url,
            site: "bench",
            siteKey: randomBytes(32).toString("hex"),
        },
    })
    try {
        const refused = (await site.uploadPolicy(spec.policy)).filter(
            r => !r.result.ok
        )
        if (refused.length)
            throw new Error(`policy refused by ${refused[0].board}`)
        const missing = await site.waitPortsReady()
        if (missing.length) throw new Error(`missing ${missing.join(", ")}`)
        return {
            boards: n,
            handsets: site.extensions.length,
            bootMs: Date.now() - t0,
            rssPerBoardMB: mb((process.memoryUsage.rss() - rss0) / n),
        }
    } finally {
        await site.stop()
        await broker.close()
    }
}

export async function boardsFigures(counts = [1, 4, 8]) {
    const build = await FirmwareBuild.make({ log: () => {} })
    const figures: BoardsFigure[] = []
    // a first board warms the process up (module loading, JIT)
    await startBoards(1, build)
    for (const n of counts) figures.push(await startBoards(n, build))
    const sites: SiteFigure[] = []
    for (const n of counts) sites.push(await bootSite(n, build))
    return { buildMs: build.ms, buildCached: build.cached, figures, sites }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
    const counts = process.argv.slice(2).map(Number)
    const r = await boardsFigures(counts.length ? counts : undefined)
    process.stdout.write(JSON.stringify(r, null, 2) + "\n")
    process.exit(0)
}
