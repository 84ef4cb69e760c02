//! What each field of the spec does, in a sentence or two of pachhook's own, for the
//! exported JSON Schema (`json_schema`): an editor shows it on hover and beside each
//! completion. Written for this project from what Pachyderm's documentation says a
//! field does (facts), never copied from Pachyderm's files.
//!
//! Keyed by message and protobuf field name; a test holds every field of the table
//! (`fields`) to having one, so a field added there needs its sentence here.

/// The description of `field` (protobuf name) of `message` (`pps.Transform`).
pub fn describe(message: &str, field: &str) -> Option<&'static str> {
    let text = match (message, field) {
        ("pps.CreatePipelineRequest", f) => match f {
            "pipeline" => {
                "The pipeline's identity: its `name` (required) and, from 2.5, its `project`."
            }
            "tf_job" => {
                "Runs the pipeline as a Kubeflow TFJob instead of a worker pod (experimental)."
            }
            "transform" => {
                "What each worker runs: the container image, the command, its environment and secrets. Required."
            }
            "parallelism_spec" => {
                "How many workers process datums in parallel (`constant`); one when left out."
            }
            "egress" => {
                "Where the output of each job is also copied: an object store URL or a SQL database."
            }
            "update" => {
                "Update the pipeline if it already exists (what `pachctl update pipeline` sets)."
            }
            "output_branch" => {
                "The branch of the output repository that jobs commit to (default `master`)."
            }
            "s3_out" => {
                "Workers write their output through an S3 gateway (`s3://out`) instead of the `/pfs/out` directory."
            }
            "resource_requests" => {
                "CPU, memory, GPU and disk each worker asks Kubernetes for (its requests)."
            }
            "resource_limits" => {
                "The most CPU, memory, GPU and disk each worker may use (its limits)."
            }
            "sidecar_resource_limits" => "The most the storage sidecar beside each worker may use.",
            "sidecar_resource_requests" => {
                "What the storage sidecar beside each worker asks Kubernetes for."
            }
            "input" => {
                "The data the pipeline processes: a PFS repository, a cron tick, or cross/union/join/group of inputs. Required unless the pipeline is a spout."
            }
            "description" => {
                "Free text describing the pipeline, shown by `pachctl inspect pipeline`."
            }
            "reprocess" => "On update, process every datum again instead of only the new ones.",
            "service" => {
                "Runs the pipeline as a long-lived service exposed on a port, not as jobs."
            }
            "spout" => {
                "Makes the pipeline a spout: it has no input and writes data into its output repository itself."
            }
            "datum_set_spec" => {
                "How datums are grouped into the sets a worker takes at once (by count, by size, or per worker)."
            }
            "datum_timeout" => {
                "How long one datum may run before it fails, as seconds with an `s` (\"600s\")."
            }
            "job_timeout" => {
                "How long a whole job may run before it is killed, as seconds with an `s` (\"3600s\")."
            }
            "salt" => {
                "A value mixed into the pipeline's datum hashes: changing it makes every datum new."
            }
            "datum_tries" => {
                "How many times a failing datum is tried before the job fails (default 3)."
            }
            "scheduling_spec" => {
                "Which Kubernetes nodes workers run on (node selector) and their priority class."
            }
            "pod_spec" => "JSON text merged over the worker pod's Kubernetes spec, as a string.",
            "pod_patch" => {
                "A JSON Patch (RFC 6902), as a string, applied to the worker pod's Kubernetes spec."
            }
            "spec_commit" => "The commit holding a stored spec; set by pachd, not by hand.",
            "metadata" => {
                "Kubernetes annotations and labels added to the pipeline's pods and services."
            }
            "reprocess_spec" => {
                "Which datums an update reprocesses: \"until_success\" (default) or \"every_job\"."
            }
            "autoscaling" => {
                "Scale the workers down to none while there is nothing to process (replaces 1.x `standby`)."
            }
            "tolerations" => {
                "Kubernetes tolerations for the worker pods, to run on tainted nodes (2.5 and later)."
            }
            "details_json" => "Pipeline details as JSON text (2.7 only).",
            "dry_run" => {
                "Read by pachctl 2.8-2.12 as the reprocess flag, not as a dry run: leave it out and pass `--dry-run` instead."
            }
            "determined" => "Determined AI workspaces the pipeline may use (2.7 and later).",
            "maximum_expected_uptime" => {
                "How long a worker is expected to run before Pachyderm flags it, as seconds with an `s` (2.9 and later)."
            }
            _ => return None,
        },
        ("pps.Pipeline", "name") => {
            "The pipeline's name, also the name of its output repository: letters, digits, `_` and `-`, at most 51 characters. Required."
        }
        ("pps.Pipeline", "project") => {
            "The project the pipeline belongs to (default: the `default` project)."
        }
        ("pps.TFJob", "tf_job") => "The TFJob's Kubernetes spec, as JSON text.",
        ("pps.Transform", f) => match f {
            "image" => {
                "The container image each worker runs; tag it with a commit SHA or pin a digest, never `latest`."
            }
            "cmd" => {
                "The command the worker runs for each datum, as a list (`[python3, /app/main.py]`)."
            }
            "err_cmd" => {
                "A command run for a datum that failed every try; if it succeeds the datum is skipped instead of failing the job."
            }
            "env" => "Environment variables set in the worker's container.",
            "secrets" => {
                "Kubernetes secrets given to the worker, as files (`mount_path`) or environment variables (`env_var`)."
            }
            "image_pull_secrets" => {
                "Names of Kubernetes secrets used to pull the image from a private registry."
            }
            "stdin" => {
                "Lines written to the command's standard input (for a shell command: the script)."
            }
            "err_stdin" => "Lines written to `err_cmd`'s standard input.",
            "accept_return_code" => "Exit codes other than 0 that still count as success.",
            "debug" => "Log more from the worker, for debugging.",
            "user" => "The user the command runs as in the container.",
            "working_dir" => "The directory the command runs in.",
            "dockerfile" => "Path of a Dockerfile, for tools that build the image from the spec.",
            "memory_volume" => {
                "Mount the worker's scratch space in memory instead of on disk (2.4 and later)."
            }
            "datum_batching" => {
                "One process handles many datums in turn, asking for each (2.5 and later): faster for small datums."
            }
            _ => return None,
        },
        ("pps.SecretMount", f) => match f {
            "name" => "The name of the Kubernetes secret.",
            "key" => "The key inside the secret; required with `env_var`.",
            "mount_path" => "Where the secret's files are mounted in the container.",
            "env_var" => "The environment variable that receives the secret's `key`.",
            _ => return None,
        },
        ("pps.ParallelismSpec", "constant") => "The number of workers.",
        ("pps.Egress", "URL") => "An object store URL the output is copied to (`s3://bucket/dir`).",
        ("pps.Egress", "object_storage") => "Copy the output to an object store (2.2 and later).",
        ("pps.Egress", "sql_database") => "Load the output into a SQL database (2.2 and later).",
        ("pfs.ObjectStorageEgress", "url") => {
            "The object store URL (`s3://bucket/dir`, `gs://...`)."
        }
        ("pfs.SQLDatabaseEgress", f) => match f {
            "url" => "The database URL (`snowflake://...`), without the password.",
            "file_format" => {
                "The format of the output files loaded into tables, and their columns."
            }
            "secret" => "The Kubernetes secret holding the database password.",
            _ => return None,
        },
        ("pfs.SQLDatabaseEgress.FileFormat", "type") => {
            "The format of the files: CSV, JSON or PARQUET."
        }
        ("pfs.SQLDatabaseEgress.FileFormat", "columns") => {
            "The table columns, in the order of the files' fields."
        }
        ("pfs.SQLDatabaseEgress.Secret", "name") => "The name of the Kubernetes secret.",
        ("pfs.SQLDatabaseEgress.Secret", "key") => "The key of the password in the secret.",
        ("pps.ResourceSpec", f) => match f {
            "cpu" => "CPU cores, as a number (`0.5`, `2`).",
            "memory" => "Memory, as a Kubernetes quantity (`\"512Mi\"`, `\"2G\"`).",
            "gpu" => "GPUs: how many, and of which type.",
            "disk" => "Ephemeral disk, as a Kubernetes quantity (`\"10Gi\"`).",
            _ => return None,
        },
        ("pps.GPUSpec", "type") => "The Kubernetes resource name of the GPU (`nvidia.com/gpu`).",
        ("pps.GPUSpec", "number") => "How many GPUs.",
        ("pps.Input", f) => match f {
            "pfs" => "Files of a PFS repository, split into datums by a glob pattern.",
            "cron" => "A repository of ticks, one commit per time the cron schedule fires.",
            "cross" => "Every combination of the datums of the inputs listed.",
            "union" => "The datums of each input listed, one after another.",
            "join" => {
                "Datums of the inputs listed whose `join_on` values match, processed together."
            }
            "group" => {
                "Datums of the inputs listed with the same `group_by` value, processed together."
            }
            _ => return None,
        },
        ("pps.PFSInput", f) => match f {
            "name" => {
                "The input's name: the directory under `/pfs` its files appear in (default: the repository's name)."
            }
            "repo" => "The repository the input reads. Required.",
            "repo_type" => "The type of the repository (`user` by default).",
            "branch" => "The branch of the repository to read (default `master`).",
            "commit" => "A fixed commit to read instead of following the branch.",
            "glob" => {
                "The glob pattern that splits the files into datums (`/*`: one datum per top-level file). Required."
            }
            "join_on" => {
                "A capture group of the glob (`$1`) whose value joins datums across the inputs of a `join`."
            }
            "outer_join" => "Keep datums with no match in a `join` (an outer join).",
            "group_by" => {
                "A capture group of the glob (`$1`) whose value groups datums in a `group`."
            }
            "lazy" => "Fetch files when the code reads them instead of downloading them first.",
            "empty_files" => {
                "Give the worker empty files of the right names instead of their content."
            }
            "s3" => "Read the input through an S3 gateway instead of the `/pfs` directory.",
            "trigger" => {
                "Start jobs only when the branch gets enough change (size, commits, a cron time)."
            }
            "project" => "The project of the repository (2.5 and later; default: the pipeline's).",
            "propagation_spec" => "When new commits in this input start a job (2.12 and later).",
            "reference" => {
                "Give the worker references to the files instead of the files (2.12 and later)."
            }
            _ => return None,
        },
        ("pps.CronInput", f) => match f {
            "name" => "The input's name: the directory under `/pfs` it appears in.",
            "project" => "The project of the tick repository (2.5 and later).",
            "repo" => {
                "The repository the ticks are committed to (default: named after the pipeline and input)."
            }
            "commit" => "The commit a tick starts from; set by pachd.",
            "spec" => "When it fires: a cron expression (`*/10 * * * *`) or `@every 1h`. Required.",
            "overwrite" => "Each tick replaces the previous one's file instead of adding a file.",
            "start" => "The time to start counting ticks from, as an RFC 3339 timestamp.",
            _ => return None,
        },
        ("pfs.Trigger", f) => match f {
            "branch" => "The branch whose commits are counted for the trigger.",
            "all" => "Fire only when every condition holds, instead of any of them.",
            "cron_spec" => "Fire on this cron schedule.",
            "rate_limit_spec" => "Fire at most once per this cron schedule (2.7 and later).",
            "size" => "Fire once this much data has been committed (`\"1G\"`).",
            "commits" => "Fire once this many commits have been made.",
            _ => return None,
        },
        ("pfs.PropagationSpec", "never") => "Commits to this input never start a job on their own.",
        ("pps.Service", f) => match f {
            "internal_port" => "The port the container listens on.",
            "external_port" => "The port exposed outside the cluster (a NodePort, 30000-32767).",
            "ip" => "The IP address of the service; set by Kubernetes.",
            "type" => "The Kubernetes service type: NodePort (default), ClusterIP or LoadBalancer.",
            _ => return None,
        },
        ("pps.Spout", "service") => "Also expose the spout as a service on a port.",
        ("pps.DatumSetSpec", f) => match f {
            "number" => "How many datums a set holds.",
            "size_bytes" => "How many bytes of input a set holds.",
            "per_worker" => "How many sets each worker gets.",
            _ => return None,
        },
        ("pps.SchedulingSpec", "node_selector") => {
            "Kubernetes node labels the worker nodes must have."
        }
        ("pps.SchedulingSpec", "priority_class_name") => {
            "The Kubernetes priority class of the worker pods."
        }
        ("pps.Metadata", "annotations") => "Kubernetes annotations added to the pipeline's pods.",
        ("pps.Metadata", "labels") => "Kubernetes labels added to the pipeline's pods.",
        ("pps.Toleration", f) => match f {
            "key" => "The taint key the toleration matches (empty with `EXISTS`: every key).",
            "operator" => "How `value` is compared: EXISTS or EQUAL.",
            "value" => "The taint value matched with `EQUAL`.",
            "effect" => {
                "The taint effect matched: NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE (empty: all)."
            }
            "toleration_seconds" => {
                "How long a pod stays on a node tainted NO_EXECUTE, in seconds."
            }
            _ => return None,
        },
        ("pps.Determined", "workspaces") => {
            "The Determined workspaces the pipeline's user may use."
        }
        ("pfs.Commit", f) => match f {
            "id" => "The commit's id.",
            "branch" => "The branch of the commit.",
            "repo" => "The repository of the commit.",
            _ => return None,
        },
        ("pfs.Branch", "name") => "The branch's name.",
        ("pfs.Branch", "repo") => "The repository of the branch.",
        ("pfs.Repo", f) => match f {
            "name" => "The repository's name.",
            "type" => "The repository's type (`user`, `spec`, `meta`).",
            "project" => "The project of the repository.",
            _ => return None,
        },
        ("pfs.Project", "name") => "The project's name: letters, digits, `_` and `-`.",
        _ => return None,
    };
    Some(text)
}
