import * as ds from "@devicescript/core"
import { SettingsStore } from "../../devs/store/settingsStore"
const kv = new SettingsStore()
let v = ""
while (v.length < 115) v += "x"
let n = 0
try {
    for (; n < 3000; ++n) {
        await kv.write("rec" + n, v)
        if (n % 20 === 0) await ds.sleep(0)
    }
} catch (e) {
    console.log("ERR " + (e as Error).message)
}
console.log("FILL " + n)
