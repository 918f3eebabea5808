//! The model file's payload (postcard-encoded `ModelData`) on arbitrary bytes, wrapped in a
//! correct header (magic, `MODEL_FORMAT_VERSION`, length, CRC-32), so that the fuzzer gets past
//! the checksum and exercises postcard decoding, `Model::check_data`'s consistency checks and,
//! for models that pass them, building the scoring index and scoring (the important property: a
//! model that `from_bytes` accepts must be safe to use).
#![no_main]

mod model_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    model_common::check_model_bytes(&model_common::wrap_payload(payload));
});
