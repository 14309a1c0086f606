// The folders are layers: devs/ (the firmware) imports nothing from src/ or
// sim/; src/ (the CLI) imports devs/ but reaches sim/ only through a lazy
// import() (the `sim` command); sim/ may import both. Lists every import
// that breaks this and exits 1 if there is one.
//
//   node scripts/check-layers.mjs      (part of npm run typecheck)
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..")
/** What each layer may import statically. */
const ALLOWED = {
    devs: ["devs"],
    src: ["devs", "src"],
    sim: ["devs", "src", "sim"],
}
/** Lazily (await import(...)): src may also reach the simulator. */
const LAZY = { devs: [], src: ["sim"], sim: [] }

function* sources(dir) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name === "node_modules" || e.name.startsWith(".")) continue
        const p = join(dir, e.name)
        if (e.isDirectory()) yield* sources(p)
        else if (/\.(m?ts|m?js)$/.test(e.name)) yield p
    }
}

const STATIC =
    /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?(?:from\s*)?["']([^"']+)["']/g
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g

const problems = []
for (const layer of Object.keys(ALLOWED))
    for (const file of sources(join(ROOT, layer))) {
        const text = readFileSync(file, "utf8")
        for (const [re, allowed] of [
            [STATIC, ALLOWED[layer]],
            [DYNAMIC, [...ALLOWED[layer], ...LAZY[layer]]],
        ])
            for (const m of text.matchAll(re)) {
                const spec = m[1]
                if (!spec.startsWith(".")) continue // a package or node:
                const target = relative(ROOT, resolve(dirname(file), spec))
                const top = target.split(sep)[0]
                if (!(top in ALLOWED) || allowed.includes(top)) continue
                problems.push(
                    `${relative(ROOT, file)}: imports ${spec} (${layer}/ must not import ${top}/${LAZY[layer].includes(top) ? " except lazily" : ""})`
                )
            }
    }
for (const p of problems) process.stderr.write(p + "\n")
if (problems.length) {
    process.stderr.write(
        `${problems.length} import(s) across layers (see scripts/check-layers.mjs)\n`
    )
    process.exit(1)
}
process.stdout.write("layers: devs <- src <- sim, no import the other way\n")
