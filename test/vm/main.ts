// DeviceScript VM test entry (`npm run test:vm`): the test files imported
// here run in one VM. Each test file must wrap its tests in describe(): only
// describe() starts the @devicescript/test auto-run. The flash store tests
// run in their own VM (main-store.ts): together they exceed the VM heap.
import "./smoke.test"
import "./engine.test"
import "./keypad.test"
import "./phone.test"
