//! The integration tests, as one binary: one link for every test file, so a one-line
//! change relinks once. Each module drives the real binary (or the library API) against
//! real repositories, the real Docker engine and registries; `support` holds the
//! helpers they share. Run one file with
//! `cargo test --test it <module>::`.

mod broken_pipe;
mod check_range;
mod cli;
mod conformance;
mod deploy;
mod deploy_accept;
mod deploy_bounds;
mod deploy_cluster;
mod deploy_commit;
mod deploy_context;
mod deploy_docker_oracle;
mod deploy_faults;
mod deploy_plan;
mod deploy_push;
mod escapes;
mod examples;
mod graph;
mod hook_repository;
mod hooks_chain;
mod hooks_config_file;
mod hooks_history;
mod hooks_init;
mod hooks_install;
mod hooks_judged;
mod hooks_managers;
mod hooks_paths;
mod hooks_pre_commit;
mod hooks_pre_push;
mod hooks_select;
mod hooks_spec_files;
mod human_frames;
mod json_schema;
mod jsonnet;
mod layout;
mod packaging;
mod policy;
mod read;
mod report_formats;
mod robustness;
mod rules;
mod schema;
mod special_files;
mod support;
mod templates;
mod upstream_oracle;
mod wheel;
