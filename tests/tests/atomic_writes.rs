//! Writing a file is all or nothing: the target changes only when `finish` succeeds.

use iterable_core::{ErrorKind, Record, Value};
use iterable_sync::create;

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn record(pairs: &[(&str, i64)]) -> Record {
    pairs.iter().map(|&(k, v)| (k, Value::Int(v))).collect()
}

#[test]
fn a_failure_mid_write_leaves_the_target_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.csv");
    std::fs::write(&target, "old,content\n").unwrap();
    let mut writer = create(target.to_str().unwrap()).unwrap();
    for i in 0..50_000 {
        writer.write(&record(&[("a", i), ("b", i)])).unwrap();
    }
    // enough rows to have gone to disk; then one the header cannot hold
    let err = writer
        .write(&record(&[("a", 1), ("surprise", 2)]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    assert!(err.to_string().contains("out.csv"), "{err}");
    drop(writer);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old,content\n");
    assert_eq!(files_in(dir.path()), ["out.csv"]);
}

#[test]
fn a_writer_dropped_without_finish_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("new.jsonl");
    let mut writer = create(target.to_str().unwrap()).unwrap();
    writer.write(&record(&[("a", 1)])).unwrap();
    assert_eq!(files_in(dir.path()).len(), 1, "only the temporary file");
    drop(writer);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn finish_replaces_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.tsv");
    std::fs::write(&target, "old\n").unwrap();
    let mut writer = create(target.to_str().unwrap()).unwrap();
    writer.write(&record(&[("a", 1), ("b", 2)])).unwrap();
    writer.finish().unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "a\tb\n1\t2\n");
    assert_eq!(files_in(dir.path()), ["out.tsv"]);
}

#[cfg(unix)]
#[test]
fn a_replaced_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("shared.csv");
    std::fs::write(&target, "x\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let mut writer = create(target.to_str().unwrap()).unwrap();
    writer.write(&record(&[("a", 1)])).unwrap();
    writer.finish().unwrap();
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn a_name_without_format_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let err = create(dir.path().join("out.bin").to_str().unwrap())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::UnknownFormat);
    assert!(files_in(dir.path()).is_empty());
}
