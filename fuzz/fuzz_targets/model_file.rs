//! `rhetor::model::ModelData::from_bytes` on arbitrary bytes (a whole model file, header and
//! all). Must not panic; errors must name the file; a model that loads must be safe to use (see
//! `model_common::check_model_bytes`). Most mutations fail the CRC-32 check, so see also
//! `model_payload`, which fuzzes the payload behind a valid header.
#![no_main]

mod model_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    model_common::check_model_bytes(data);
});
