// Compiles the dialguard CLI: src/cli.ts and everything it imports from
// src/, devs/ and sim/ into dist/dialguard.mjs (esbuild; npm packages stay
// imports, loaded from node_modules at run time). What a command loads
// with import() (the simulator, the board bus) goes into chunks of its own
// beside it, loaded only by the commands that use them.
//
//   node scripts/build-cli.mjs     (npm ci's postinstall, npm run build)
//
// dist/dialguard.inputs.json lists each source file with the modification
// time and size it had when read. bin/dialguard.mjs compares them at every
// start and rebuilds first when one differs, so the CLI never runs stale
// code (after an edit, a git checkout, in the tests).
//
// Source files keep their own import.meta.url: it is rewritten to the
// source file's URL (relative to dist/), so that paths such as
// new URL("./guard.mjs", import.meta.url) in sim/proc.ts stay right.
import {
    mkdirSync,
    readFileSync,
    renameSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs"
import { dirname, extname, join, relative, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..")
const DIST = join(ROOT, "dist")
export const BUNDLE = join(DIST, "dialguard.mjs")
const INPUTS = join(DIST, "dialguard.inputs.json")

const LOADERS = { ".ts": "ts", ".mts": "ts", ".js": "js", ".mjs": "js" }
const slashes = path => path.split(sep).join("/")

/** Reads the project's own files, stamping each and keeping its import.meta.url. */
function projectSources(stamps) {
    return {
        name: "dialguard-sources",
        setup(build) {
            build.onLoad({ filter: /\.(m?ts|m?js|json)$/ }, args => {
                const rel = relative(ROOT, args.path)
                if (
                    rel.startsWith("..") ||
                    rel.split(sep)[0] === "node_modules"
                )
                    return undefined
                // stamped before reading: an edit from now on shows
                const s = statSync(args.path)
                stamps[slashes(rel)] = [s.mtimeMs, s.size]
                let text = readFileSync(args.path, "utf8")
                const loader = LOADERS[extname(args.path)] ?? "json"
                if (loader !== "json") {
                    const url = JSON.stringify(
                        slashes(relative(DIST, args.path))
                    )
                    text = text.replaceAll(
                        "import.meta.url",
                        `new URL(${url}, import.meta.url).href`
                    )
                }
                return { contents: text, loader }
            })
        },
    }
}

/**
 * Builds dist/. `clean` first removes what an earlier build left; the
 * launcher's rebuilds do not, as a CLI still running may load its chunks.
 */
export async function buildCli({ clean = false } = {}) {
    const { build } = await import("esbuild")
    if (clean) rmSync(DIST, { recursive: true, force: true })
    const stamps = {}
    const { outputFiles } = await build({
        entryPoints: { dialguard: join(ROOT, "src", "cli.ts") },
        outdir: DIST,
        outExtension: { ".js": ".mjs" },
        // beside the entry: the import.meta.url rewrite is relative to dist/
        chunkNames: "[name]-[hash]",
        write: false,
        bundle: true,
        splitting: true,
        platform: "node",
        format: "esm",
        target: "node20",
        packages: "external",
        // read only with DIALGUARD_DEBUG: its stack traces name src/ lines
        sourcemap: "linked",
        sourcesContent: false,
        logLevel: "warning",
        plugins: [projectSources(stamps)],
    })
    // Each file is written under a private name and renamed into place, the
    // entry point last: builds running at the same time (tests starting
    // the CLI in parallel) never see a half-written or a missing chunk.
    // Chunk names hold a hash of their content: same name, same file.
    const tmp = `.${process.pid}.tmp`
    mkdirSync(DIST, { recursive: true })
    const put = (path, contents) => {
        writeFileSync(path + tmp, contents)
        renameSync(path + tmp, path)
    }
    for (const f of outputFiles) if (f.path !== BUNDLE) put(f.path, f.contents)
    put(BUNDLE, outputFiles.find(f => f.path === BUNDLE).contents)
    put(INPUTS, JSON.stringify(stamps).replaceAll("],", "],\n") + "\n")
}

/** Whether dist/ exists and was built from the sources as they are now. */
export function bundleIsCurrent() {
    try {
        statSync(BUNDLE)
        const stamps = JSON.parse(readFileSync(INPUTS, "utf8"))
        for (const [file, [mtimeMs, size]] of Object.entries(stamps)) {
            const s = statSync(join(ROOT, file))
            if (s.mtimeMs !== mtimeMs || s.size !== size) return false
        }
        return true
    } catch {
        return false
    }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
    await buildCli({ clean: true })
