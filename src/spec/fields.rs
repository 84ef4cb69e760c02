//! The project's own description of the Pachyderm 2.x pipeline spec: every message and
//! field reachable from `pps.CreatePipelineRequest`, with both spellings, the value type,
//! and the releases that have it.
//!
//! Design decision: this is a typed table in Rust, not a JSON Schema. The table is static
//! data (one line per field), transcribed by hand from the protobuf definitions as summed
//! up in the project's reference notes, and `spec::normalize` walks a spec against it once.
//! Reasons:
//! - pachctl's reading rules are protobuf-JSON rules: every field has two spellings
//!   (`parallelism_spec` / `parallelismSpec`), integers may be decimal strings, durations
//!   are `"60s"` strings, enums are names or numbers. A schema can express each of these
//!   only with duplicated properties and patterns, and its errors would then talk about
//!   patterns instead of "write `60s`".
//! - Fields appear during 2.x (`maximum_expected_uptime` in 2.9) and one existed in 2.7
//!   only (`details_json`): release gating is a comparison here, a schema per release there.
//! - Findings need exact positions, the user's own spelling and a did-you-mean built from
//!   the fields of the message at hand; walking our own tree gives all three directly.
//! - Speed: a pre-commit hook checks 1,000 specs in well under 20 ms. Looking a key up is a
//!   linear scan of a small static slice; nothing is allocated unless something is wrong.
//!
//! The table is data, not read at run time from any file: changing what pachhook knows about
//! the spec means editing the lines below.

use crate::release::Release;

/// One protobuf message of the spec.
#[derive(Debug)]
pub struct Message {
    /// The protobuf name (`pps.Transform`), for messages and tests.
    pub name: &'static str,
    pub fields: &'static [Field],
    /// Fields Pachyderm 1.x had here and 2.x rejects.
    pub removed: &'static [Removed],
}

/// One field of a message.
#[derive(Debug)]
pub struct Field {
    /// The protobuf name: the canonical spelling every check looks fields up by.
    pub proto: &'static str,
    /// The JSON (lowerCamelCase) name, which pachctl accepts as well.
    pub json: &'static str,
    pub kind: Kind,
    /// A list of `kind` (`repeated` in protobuf).
    pub repeated: bool,
    /// The first release that accepts the field.
    pub since: Release,
    /// The last release that accepts it, when later ones dropped it again.
    pub until: Option<Release>,
}

/// The type of a field's value (of each element, for a repeated field).
#[derive(Debug)]
pub enum Kind {
    String,
    Bool,
    Int(Int),
    /// A 32-bit float (`ResourceSpec.cpu`).
    Float,
    Enum(&'static Enum),
    /// `google.protobuf.Duration`: `"60s"`.
    Duration,
    /// `google.protobuf.Timestamp`: an RFC 3339 string.
    Timestamp,
    /// `google.protobuf.Int64Value`: read like an int64.
    Int64Value,
    /// `map<string, string>`: keys are user data.
    StringMap,
    Message(&'static Message),
}

/// The integer types the spec uses, with their ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Int {
    I32,
    I64,
    U64,
}

impl Int {
    pub fn name(self) -> &'static str {
        match self {
            Int::I32 => "int32",
            Int::I64 => "int64",
            Int::U64 => "uint64",
        }
    }

    pub fn range(self) -> (i128, i128) {
        match self {
            Int::I32 => (i32::MIN.into(), i32::MAX.into()),
            Int::I64 => (i64::MIN.into(), i64::MAX.into()),
            Int::U64 => (0, u64::MAX.into()),
        }
    }
}

/// A protobuf enum: value names in number order (the first is 0).
#[derive(Debug)]
pub struct Enum {
    pub name: &'static str,
    pub values: &'static [&'static str],
}

/// A Pachyderm 1.x field that 2.x rejects, and what to do instead.
#[derive(Debug)]
pub struct Removed {
    pub proto: &'static str,
    pub json: &'static str,
    /// The 2.x field that replaces it, when there is one.
    pub replacement: Option<&'static str>,
    /// What to do, as a help line.
    pub help: &'static str,
}

impl Message {
    /// The field written as `key` in either spelling.
    pub fn field(&'static self, key: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.proto == key || f.json == key)
    }

    /// The 1.x field written as `key` in either spelling.
    pub fn removed(&'static self, key: &str) -> Option<&'static Removed> {
        self.removed
            .iter()
            .find(|r| r.proto == key || r.json == key)
    }
}

impl Field {
    /// Whether `release` accepts this field.
    pub fn available_in(&self, release: Release) -> bool {
        release >= self.since && self.until.is_none_or(|until| release <= until)
    }
}

// ---- Building the table: one line per field ----

const V2_0: Release = Release::new(2, 0);

const fn field(proto: &'static str, json: &'static str, kind: Kind) -> Field {
    Field {
        proto,
        json,
        kind,
        repeated: false,
        since: V2_0,
        until: None,
    }
}

impl Field {
    const fn list(mut self) -> Field {
        self.repeated = true;
        self
    }

    const fn since(mut self, major: u32, minor: u32) -> Field {
        self.since = Release::new(major, minor);
        self
    }

    const fn until(mut self, major: u32, minor: u32) -> Field {
        self.until = Some(Release::new(major, minor));
        self
    }
}

const fn removed(
    proto: &'static str,
    json: &'static str,
    replacement: Option<&'static str>,
    help: &'static str,
) -> Removed {
    Removed {
        proto,
        json,
        replacement,
        help,
    }
}

use Kind::{Bool, Duration, Float, Int64Value, String as Str, StringMap, Timestamp};
const I32: Kind = Kind::Int(Int::I32);
const I64: Kind = Kind::Int(Int::I64);
const U64: Kind = Kind::Int(Int::U64);
const fn msg(m: &'static Message) -> Kind {
    Kind::Message(m)
}

/// The root of every spec.
#[rustfmt::skip]
pub static CREATE_PIPELINE_REQUEST: Message = Message {
    name: "pps.CreatePipelineRequest",
    fields: &[
        field("pipeline", "pipeline", msg(&PIPELINE)),
        field("tf_job", "tfJob", msg(&TF_JOB)),
        field("transform", "transform", msg(&TRANSFORM)),
        field("parallelism_spec", "parallelismSpec", msg(&PARALLELISM_SPEC)),
        field("egress", "egress", msg(&EGRESS)),
        field("update", "update", Bool),
        field("output_branch", "outputBranch", Str),
        field("s3_out", "s3Out", Bool),
        field("resource_requests", "resourceRequests", msg(&RESOURCE_SPEC)),
        field("resource_limits", "resourceLimits", msg(&RESOURCE_SPEC)),
        field("sidecar_resource_limits", "sidecarResourceLimits", msg(&RESOURCE_SPEC)),
        field("input", "input", msg(&INPUT)),
        field("description", "description", Str),
        field("reprocess", "reprocess", Bool),
        field("service", "service", msg(&SERVICE)),
        field("spout", "spout", msg(&SPOUT)),
        field("datum_set_spec", "datumSetSpec", msg(&DATUM_SET_SPEC)),
        field("datum_timeout", "datumTimeout", Duration),
        field("job_timeout", "jobTimeout", Duration),
        field("salt", "salt", Str),
        field("datum_tries", "datumTries", I64),
        field("scheduling_spec", "schedulingSpec", msg(&SCHEDULING_SPEC)),
        field("pod_spec", "podSpec", Str),
        field("pod_patch", "podPatch", Str),
        field("spec_commit", "specCommit", msg(&COMMIT)),
        field("metadata", "metadata", msg(&METADATA)),
        field("reprocess_spec", "reprocessSpec", Str),
        field("autoscaling", "autoscaling", Bool),
        field("tolerations", "tolerations", msg(&TOLERATION)).list().since(2, 5),
        field("sidecar_resource_requests", "sidecarResourceRequests", msg(&RESOURCE_SPEC)).since(2, 6),
        field("details_json", "detailsJson", Str).since(2, 7).until(2, 7),
        field("dry_run", "dryRun", Bool).since(2, 7),
        field("determined", "determined", msg(&DETERMINED)).since(2, 7),
        field("maximum_expected_uptime", "maximumExpectedUptime", Duration).since(2, 9),
    ],
    removed: &[
        removed("enable_stats", "enableStats", None, "remove it: Pachyderm 2.x always keeps datum statistics"),
        removed("standby", "standby", Some("autoscaling"), "set `autoscaling` to true instead: 2.x scales idle pipelines down with it"),
        removed("cache_size", "cacheSize", None, "remove it: Pachyderm 2.x has no per-pipeline cache setting"),
        removed("max_queue_size", "maxQueueSize", None, "remove it: Pachyderm 2.x has no per-pipeline queue setting"),
        removed("chunk_spec", "chunkSpec", Some("datum_set_spec"), "remove it; to control how datums are grouped use `datum_set_spec` (`number`, `size_bytes`, `per_worker`)"),
        removed("hashtree_spec", "hashtreeSpec", None, "remove it: Pachyderm 2.x has no hashtrees"),
        // 1.x names that real specs still carry, each with what 2.x reads instead.
        removed("scale_down_threshold", "scaleDownThreshold", Some("autoscaling"), "remove it and set `autoscaling: true`: 2.x scales an idle pipeline down to no workers itself"),
        removed("resource_spec", "resourceSpec", Some("resource_requests"), "rename it `resource_requests` (what workers ask for; `resource_limits` caps them)"),
        removed("inputs", "inputs", Some("input"), "write one `input` (`{pfs: {repo: R, glob: \"/*\"}}`; several under `cross`/`union`); drop `method`"),
        removed("batch", "batch", None, "remove it: 2.x has no batch mode; `transform.datum_batching` hands a process many datums in turn"),
    ],
};

#[rustfmt::skip]
static PIPELINE: Message = Message {
    name: "pps.Pipeline",
    fields: &[
        field("name", "name", Str),
        field("project", "project", msg(&PROJECT)).since(2, 5),
    ],
    removed: &[],
};

#[rustfmt::skip]
static TF_JOB: Message = Message {
    name: "pps.TFJob",
    fields: &[field("tf_job", "tfJob", Str)],
    removed: &[],
};

#[rustfmt::skip]
static TRANSFORM: Message = Message {
    name: "pps.Transform",
    fields: &[
        field("image", "image", Str),
        field("cmd", "cmd", Str).list(),
        field("err_cmd", "errCmd", Str).list(),
        field("env", "env", StringMap),
        field("secrets", "secrets", msg(&SECRET_MOUNT)).list(),
        field("image_pull_secrets", "imagePullSecrets", Str).list(),
        field("stdin", "stdin", Str).list(),
        field("err_stdin", "errStdin", Str).list(),
        field("accept_return_code", "acceptReturnCode", I64).list(),
        field("debug", "debug", Bool),
        field("user", "user", Str),
        field("working_dir", "workingDir", Str),
        field("dockerfile", "dockerfile", Str),
        field("memory_volume", "memoryVolume", Bool).since(2, 4),
        field("datum_batching", "datumBatching", Bool).since(2, 5),
    ],
    removed: &[removed(
        "build",
        "build",
        None,
        "remove it and set `image` to an image you build yourself; `pachhook deploy` builds and tags it with the commit SHA",
    )],
};

#[rustfmt::skip]
static SECRET_MOUNT: Message = Message {
    name: "pps.SecretMount",
    fields: &[
        field("name", "name", Str),
        field("key", "key", Str),
        field("mount_path", "mountPath", Str),
        field("env_var", "envVar", Str),
    ],
    removed: &[],
};

#[rustfmt::skip]
static PARALLELISM_SPEC: Message = Message {
    name: "pps.ParallelismSpec",
    fields: &[field("constant", "constant", U64)],
    removed: &[
        removed("coefficient", "coefficient", Some("constant"), "set `constant` to the number of workers instead"),
        removed("strategy", "strategy", Some("constant"), "remove it: 2.x always uses `constant`"),
    ],
};

#[rustfmt::skip]
static EGRESS: Message = Message {
    name: "pps.Egress",
    fields: &[
        field("URL", "URL", Str),
        field("object_storage", "objectStorage", msg(&OBJECT_STORAGE_EGRESS)).since(2, 2),
        field("sql_database", "sqlDatabase", msg(&SQL_DATABASE_EGRESS)).since(2, 2),
    ],
    removed: &[],
};

#[rustfmt::skip]
static OBJECT_STORAGE_EGRESS: Message = Message {
    name: "pfs.ObjectStorageEgress",
    fields: &[field("url", "url", Str).since(2, 2)],
    removed: &[],
};

#[rustfmt::skip]
static SQL_DATABASE_EGRESS: Message = Message {
    name: "pfs.SQLDatabaseEgress",
    fields: &[
        field("url", "url", Str).since(2, 2),
        field("file_format", "fileFormat", msg(&FILE_FORMAT)).since(2, 2),
        field("secret", "secret", msg(&SQL_SECRET)).since(2, 2),
    ],
    removed: &[],
};

#[rustfmt::skip]
static FILE_FORMAT: Message = Message {
    name: "pfs.SQLDatabaseEgress.FileFormat",
    fields: &[
        field("type", "type", Kind::Enum(&FILE_FORMAT_TYPE)).since(2, 2),
        field("columns", "columns", Str).list().since(2, 2),
    ],
    removed: &[],
};

static FILE_FORMAT_TYPE: Enum = Enum {
    name: "pfs.SQLDatabaseEgress.FileFormat.Type",
    values: &["UNKNOWN", "CSV", "JSON", "PARQUET"],
};

#[rustfmt::skip]
static SQL_SECRET: Message = Message {
    name: "pfs.SQLDatabaseEgress.Secret",
    fields: &[
        field("name", "name", Str).since(2, 2),
        field("key", "key", Str).since(2, 2),
    ],
    removed: &[],
};

#[rustfmt::skip]
static RESOURCE_SPEC: Message = Message {
    name: "pps.ResourceSpec",
    fields: &[
        field("cpu", "cpu", Float),
        field("memory", "memory", Str),
        field("gpu", "gpu", msg(&GPU_SPEC)),
        field("disk", "disk", Str),
    ],
    removed: &[],
};

#[rustfmt::skip]
static GPU_SPEC: Message = Message {
    name: "pps.GPUSpec",
    fields: &[field("type", "type", Str), field("number", "number", I64)],
    removed: &[],
};

#[rustfmt::skip]
static INPUT: Message = Message {
    name: "pps.Input",
    fields: &[
        field("pfs", "pfs", msg(&PFS_INPUT)),
        field("join", "join", msg(&INPUT)).list(),
        field("group", "group", msg(&INPUT)).list(),
        field("cross", "cross", msg(&INPUT)).list(),
        field("union", "union", msg(&INPUT)).list(),
        field("cron", "cron", msg(&CRON_INPUT)),
    ],
    removed: &[
        removed("atom", "atom", Some("pfs"), "rename `atom` to `pfs`: 2.x reads the same repo, branch and glob from `pfs`"),
        removed("git", "git", None, "remove it: 2.x has no git inputs; put the content in a Pachyderm repo and read it with `pfs`"),
    ],
};

#[rustfmt::skip]
static PFS_INPUT: Message = Message {
    name: "pps.PFSInput",
    fields: &[
        field("name", "name", Str),
        field("repo", "repo", Str),
        field("repo_type", "repoType", Str),
        field("branch", "branch", Str),
        field("commit", "commit", Str),
        field("glob", "glob", Str),
        field("join_on", "joinOn", Str),
        field("outer_join", "outerJoin", Bool),
        field("group_by", "groupBy", Str),
        field("lazy", "lazy", Bool),
        field("empty_files", "emptyFiles", Bool),
        field("s3", "s3", Bool),
        field("trigger", "trigger", msg(&TRIGGER)),
        field("project", "project", Str).since(2, 5),
        field("propagation_spec", "propagationSpec", msg(&PROPAGATION_SPEC)).since(2, 12),
        field("reference", "reference", Bool).since(2, 12),
    ],
    removed: &[
        removed("method", "method", Some("glob"), "remove it: in 2.x the `glob` alone decides the datums (`/*`: one per top-level file)"),
        removed("run_empty", "runEmpty", None, "remove it: 2.x processes only commits that hold data"),
        removed("join_type", "joinType", Some("outer_join"), "remove it: 2.x joins are inner; set `outer_join: true` on inputs whose unmatched datums count"),
    ],
};

#[rustfmt::skip]
static TRIGGER: Message = Message {
    name: "pfs.Trigger",
    fields: &[
        field("branch", "branch", Str),
        field("all", "all", Bool),
        field("cron_spec", "cronSpec", Str),
        field("size", "size", Str),
        field("commits", "commits", I64),
        field("rate_limit_spec", "rateLimitSpec", Str).since(2, 7),
    ],
    removed: &[],
};

#[rustfmt::skip]
static PROPAGATION_SPEC: Message = Message {
    name: "pfs.PropagationSpec",
    fields: &[field("never", "never", Bool).since(2, 12)],
    removed: &[],
};

#[rustfmt::skip]
static CRON_INPUT: Message = Message {
    name: "pps.CronInput",
    fields: &[
        field("name", "name", Str),
        field("repo", "repo", Str),
        field("commit", "commit", Str),
        field("spec", "spec", Str),
        field("overwrite", "overwrite", Bool),
        field("start", "start", Timestamp),
        field("project", "project", Str).since(2, 5),
    ],
    removed: &[],
};

#[rustfmt::skip]
static SERVICE: Message = Message {
    name: "pps.Service",
    fields: &[
        field("internal_port", "internalPort", I32),
        field("external_port", "externalPort", I32),
        field("ip", "ip", Str),
        field("type", "type", Str),
    ],
    removed: &[],
};

#[rustfmt::skip]
static SPOUT: Message = Message {
    name: "pps.Spout",
    fields: &[field("service", "service", msg(&SERVICE))],
    removed: &[
        removed("overwrite", "overwrite", None, "remove it: a 2.x spout writes whole commits, so there is nothing to overwrite"),
        removed("marker", "marker", None, "remove it: 2.x spouts keep no marker; record progress in the output commits yourself"),
    ],
};

#[rustfmt::skip]
static DATUM_SET_SPEC: Message = Message {
    name: "pps.DatumSetSpec",
    fields: &[
        field("number", "number", I64),
        field("size_bytes", "sizeBytes", I64),
        field("per_worker", "perWorker", I64),
    ],
    removed: &[],
};

#[rustfmt::skip]
static SCHEDULING_SPEC: Message = Message {
    name: "pps.SchedulingSpec",
    fields: &[
        field("node_selector", "nodeSelector", StringMap),
        field("priority_class_name", "priorityClassName", Str),
    ],
    removed: &[],
};

#[rustfmt::skip]
static COMMIT: Message = Message {
    name: "pfs.Commit",
    fields: &[
        field("branch", "branch", msg(&BRANCH)),
        field("id", "id", Str),
        field("repo", "repo", msg(&REPO)).since(2, 6),
    ],
    removed: &[],
};

#[rustfmt::skip]
static BRANCH: Message = Message {
    name: "pfs.Branch",
    fields: &[field("repo", "repo", msg(&REPO)), field("name", "name", Str)],
    removed: &[],
};

#[rustfmt::skip]
static REPO: Message = Message {
    name: "pfs.Repo",
    fields: &[
        field("name", "name", Str),
        field("type", "type", Str),
        field("project", "project", msg(&PROJECT)).since(2, 5),
    ],
    removed: &[],
};

#[rustfmt::skip]
static PROJECT: Message = Message {
    name: "pfs.Project",
    fields: &[field("name", "name", Str).since(2, 5)],
    removed: &[],
};

#[rustfmt::skip]
static METADATA: Message = Message {
    name: "pps.Metadata",
    fields: &[
        field("annotations", "annotations", StringMap),
        field("labels", "labels", StringMap),
    ],
    removed: &[],
};

#[rustfmt::skip]
static TOLERATION: Message = Message {
    name: "pps.Toleration",
    fields: &[
        field("key", "key", Str).since(2, 5),
        field("operator", "operator", Kind::Enum(&TOLERATION_OPERATOR)).since(2, 5),
        field("value", "value", Str).since(2, 5),
        field("effect", "effect", Kind::Enum(&TAINT_EFFECT)).since(2, 5),
        field("toleration_seconds", "tolerationSeconds", Int64Value).since(2, 5),
    ],
    removed: &[],
};

static TOLERATION_OPERATOR: Enum = Enum {
    name: "pps.TolerationOperator",
    values: &["EMPTY", "EXISTS", "EQUAL"],
};

static TAINT_EFFECT: Enum = Enum {
    name: "pps.TaintEffect",
    values: &[
        "ALL_EFFECTS",
        "NO_SCHEDULE",
        "PREFER_NO_SCHEDULE",
        "NO_EXECUTE",
    ],
};

#[rustfmt::skip]
static DETERMINED: Message = Message {
    name: "pps.Determined",
    fields: &[field("workspaces", "workspaces", Str).list().since(2, 7)],
    removed: &[],
};

#[cfg(test)]
mod tests;
