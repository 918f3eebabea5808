//! The model file through the library: round trip, atomic writes, damage detection.

use std::path::Path;

use rhetor::model::{Model, ModelData, ScoreScratch, MODEL_FORMAT_VERSION, MODEL_MAGIC};

use crate::util::*;

fn scores_of(model: &Model, text: &str) -> Vec<Vec<f32>> {
    let mut scratch = ScoreScratch::default();
    model
        .score(text, None, &mut scratch)
        .into_iter()
        .map(|s| s.probs)
        .collect()
}

#[test]
fn round_trip_keeps_everything() {
    let bytes = std::fs::read(tiny_model()).unwrap();
    assert_eq!(&bytes[..8], MODEL_MAGIC);
    assert_eq!(
        u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
        MODEL_FORMAT_VERSION
    );
    let model = Model::load(tiny_model()).unwrap();
    let again = ModelData::to_bytes(model.data());
    assert!(again == bytes, "decode then encode gives the same bytes");

    let dir = Dir::new();
    let copy = dir.path("copy.rhetor");
    model.save(&copy).unwrap();
    let reloaded = Model::load(&copy).unwrap();
    let text = "Ministers must stop this reckless, disastrous tax before it destroys our town!";
    assert_eq!(scores_of(&model, text), scores_of(&reloaded, text));
    assert_eq!(model.data().meta, reloaded.data().meta);
    assert_eq!(model.heads(), reloaded.heads());
}

#[test]
fn save_leaves_no_temporary_file_and_replaces_atomically() {
    let dir = Dir::new();
    let model = Model::load(tiny_model()).unwrap();
    let path = dir.path("m.rhetor");
    std::fs::write(&path, b"old").unwrap();
    model.save(&path).unwrap();
    assert!(Model::load(&path).is_ok());
    let names: Vec<String> = std::fs::read_dir(dir.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["m.rhetor"]);
}

#[test]
fn save_into_a_missing_directory_fails_and_names_the_file() {
    let model = Model::load(tiny_model()).unwrap();
    let err = model
        .save(Path::new("/nonexistent-dir/m.rhetor"))
        .unwrap_err();
    assert!(
        err.to_string().starts_with("/nonexistent-dir/m.rhetor: "),
        "{err}"
    );
}
