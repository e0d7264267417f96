//! Builds the example programs for `tracer-lsp demo`: the Rust example with cargo (when the
//! demo runs from the source checkout, through `cargo run`) and the C example with the system
//! C compiler against the C API's headers and the `libtracer.so` built next to this binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Command lines of the example programs, or why one cannot be built.
pub fn example_programs(examples: &Path) -> Vec<Result<Vec<String>, String>> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let built = build_with_cargo(&exe_dir);
    vec![
        built.clone().and_then(|()| rust_example(&exe_dir)),
        built.and_then(|()| c_example(examples, &exe_dir)),
    ]
}

/// Through `cargo run`, CARGO names cargo: build the Rust example and libtracer.so with the
/// profile of this binary. Run otherwise, use what is already built.
fn build_with_cargo(exe_dir: &Path) -> Result<(), String> {
    let Some(cargo) = std::env::var_os("CARGO") else {
        return Ok(());
    };
    let mut c = Command::new(cargo);
    c.args(["build", "--quiet", "-p", "hello-rs", "-p", "tracer-capi"]);
    if exe_dir.ends_with("release") {
        c.arg("--release");
    }
    let ok = c.status().map_err(|e| format!("cargo: {e}"))?;
    if !ok.success() {
        return Err("cargo build -p hello-rs -p tracer-capi failed".into());
    }
    Ok(())
}

fn rust_example(exe_dir: &Path) -> Result<Vec<String>, String> {
    let bin = exe_dir.join("hello-rs");
    if !bin.is_file() {
        return Err(format!(
            "{} is not built (cargo build --release -p hello-rs)",
            bin.display()
        ));
    }
    Ok(vec![bin.display().to_string(), "20".into()])
}

fn c_example(examples: &Path, exe_dir: &Path) -> Result<Vec<String>, String> {
    let source = examples.join("c/hello.c");
    let include = examples.join("../tracer-core/capi/include");
    if !exe_dir.join("libtracer.so").is_file() {
        return Err(format!(
            "no libtracer.so next to {} (cargo build -p tracer-capi)",
            exe_dir.display()
        ));
    }
    if !include.join("tracer/tracepoint.h").is_file() {
        return Err(format!("no C API headers in {}", include.display()));
    }
    let out = exe_dir.join("hello-c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(&cc)
        .args(["-O2", "-g", "-o"])
        .arg(&out)
        .arg("-I")
        .arg(&include)
        .arg("-I")
        .arg(examples.join("c"))
        .arg(&source)
        .arg("-L")
        .arg(exe_dir)
        .arg("-ltracer")
        .arg(format!("-Wl,-rpath,{}", exe_dir.display()))
        .status()
        .map_err(|e| format!("the C compiler `{cc}` cannot run ({e}); install gcc"))?;
    if !status.success() {
        return Err(format!("{cc} could not build {}", source.display()));
    }
    Ok(vec![out.display().to_string(), "demo".into()])
}
