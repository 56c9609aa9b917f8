//! The Python side's own unit tests (`tests/python/test_*.py`), run inside
//! the embedded interpreter with the harness modules loaded as a worker
//! loads them.

use pyo3::prelude::*;

#[test]
fn python_unit_tests_pass() {
    snipcheck::run::prepare_process();
    let tests = include_str!("python/test_harness.py");
    Python::attach(|py| {
        snipcheck::run::load_harness(py).expect("the harness loads");
        let code = std::ffi::CString::new(tests).unwrap();
        let module =
            pyo3::types::PyModule::from_code(py, &code, c"test_harness.py", c"test_harness")
                .expect("the tests compile");
        let unittest = py.import("unittest").unwrap();
        let suite = unittest
            .getattr("defaultTestLoader")
            .and_then(|loader| loader.call_method1("loadTestsFromModule", (module,)))
            .unwrap();
        let count: usize = suite
            .call_method0("countTestCases")
            .unwrap()
            .extract()
            .unwrap();
        assert!(count >= 6, "only {count} tests found");
        let stream = py.import("io").unwrap().call_method0("StringIO").unwrap();
        let runner = unittest
            .call_method1("TextTestRunner", (stream.clone(),))
            .unwrap();
        let result = runner.call_method1("run", (suite,)).unwrap();
        let ok: bool = result
            .call_method0("wasSuccessful")
            .unwrap()
            .extract()
            .unwrap();
        let report: String = stream.call_method0("getvalue").unwrap().extract().unwrap();
        assert!(ok, "{report}");
    });
}
