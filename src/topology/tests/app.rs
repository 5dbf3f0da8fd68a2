//! The app section: instance type, image, port, capacity, scaling, user data.

use super::*;
use crate::topology::*;

fn capacity(text: &str) -> Capacity {
    ok(&minimal_with(&format!("  capacity: {text}\n"))).topology.groups[0].nodes.capacity
}

#[test]
fn capacity_defaults_follow_min() {
    assert_eq!(capacity("{}"), Capacity { min: 2, desired: 2, max: 4 });
    assert_eq!(capacity("{ min: 3 }"), Capacity { min: 3, desired: 3, max: 4 });
    assert_eq!(capacity("{ min: 6 }"), Capacity { min: 6, desired: 6, max: 6 });
    assert_eq!(capacity("{ min: 2, max: 8 }"), Capacity { min: 2, desired: 2, max: 8 });
    assert_eq!(capacity("{ min: 2, desired: 3 }"), Capacity { min: 2, desired: 3, max: 4 });
    assert_eq!(capacity("{ min: 0, desired: 0, max: 1 }"), Capacity { min: 0, desired: 0, max: 1 });
}

#[test]
fn min_greater_than_max_names_capacity_and_points_inside_it() {
    expect_err(
        &minimal_with("  capacity:\n    min: 5\n    max: 3\n"),
        7,
        10,
        "app.capacity",
        "min (5) is greater than max (3)",
    );
    expect_err(
        &minimal_with("  capacity: { min: 5, max: 3 }\n"),
        5,
        28,
        "app.capacity",
        "min (5) is greater than max (3)",
    );
    // Without a max in the file the message says which value was a default.
    expect_err(
        &minimal_with("  capacity:\n    max: 1\n"),
        6,
        10,
        "app.capacity",
        "min (2, the default) is greater than max (1)",
    );
}

#[test]
fn desired_must_be_between_min_and_max() {
    expect_err(
        &minimal_with("  capacity:\n    min: 2\n    desired: 1\n"),
        7,
        14,
        "app.capacity",
        "desired (1) is less than min (2)",
    );
    expect_err(
        &minimal_with("  capacity:\n    desired: 9\n"),
        6,
        14,
        "app.capacity",
        "desired (9) is greater than max (4, the default)",
    );
    expect_err(
        &minimal_with("  capacity: { max: 6, desired: 7 }\n"),
        5,
        32,
        "app.capacity",
        "desired (7) is greater than max (6)",
    );
}

#[test]
fn capacity_ranges() {
    expect_err(
        &minimal_with("  capacity:\n    max: 0\n"),
        6,
        10,
        "app.capacity.max",
        "0 is out of range: expected a maximum node count from 1 to 1000",
    );
    expect_err(&minimal_with("  capacity:\n    max: 1001\n"), 6, 10, "app.capacity.max", "from 1 to 1000");
    expect_err(&minimal_with("  capacity:\n    min: -1\n"), 6, 10, "app.capacity.min", "-1 is out of range");
    expect_err(
        &minimal_with("  capacity: 3\n"),
        5,
        13,
        "app.capacity",
        "expected a capacity mapping such as { min: 2, desired: 2, max: 6 }",
    );
}

#[test]
fn scaling_takes_exactly_one_target() {
    let scaling = |text: &str| ok(&minimal_with(&format!("  scaling: {text}\n"))).topology.groups[0].nodes.scaling;
    assert_eq!(scaling("{ cpu_target: 60 }"), Some(Scaling::CpuTarget(60.0)));
    assert_eq!(scaling("{ cpu_target: 45.5 }"), Some(Scaling::CpuTarget(45.5)));
    assert_eq!(scaling("{ requests_per_target: 1000 }"), Some(Scaling::RequestsPerTarget(1000)));
    expect_err(
        &minimal_with("  scaling: { cpu_target: 60, requests_per_target: 10 }\n"),
        5,
        30,
        "app.scaling.requests_per_target",
        "not both",
    );
    expect_err(&minimal_with("  scaling: {}\n"), 5, 12, "app.scaling", "expected one of cpu_target");
    expect_err(
        &minimal_with("  scaling: { cpu_target: 0 }\n"),
        5,
        26,
        "app.scaling.cpu_target",
        "0 is out of range: expected a CPU utilisation target in percent, from 1 to 100",
    );
    expect_err(&minimal_with("  scaling: { cpu_target: 100.5 }\n"), 5, 26, "app.scaling.cpu_target", "from 1 to 100");
    expect_err(
        &minimal_with("  scaling: { cpu_target: high }\n"),
        5,
        26,
        "app.scaling.cpu_target",
        "invalid type: string \"high\"",
    );
    expect_err(&minimal_with("  scaling: { cpu_target: .nan }\n"), 5, 26, "app.scaling.cpu_target", "out of range");
    expect_err(
        &minimal_with("  scaling: { requests_per_target: 0 }\n"),
        5,
        35,
        "app.scaling.requests_per_target",
        "from 1 to 1000000",
    );
}

#[test]
fn instance_type_image_and_port() {
    expect_err(
        "name: web\nregion: us-east-1\napp:\n  instance_type: large\n",
        4,
        18,
        "app.instance_type",
        "`large` is not an EC2 instance type",
    );
    expect_err(
        "name: web\nregion: us-east-1\napp:\n  instance_type: T3.Large\n",
        4,
        18,
        "app.instance_type",
        "not an EC2 instance type",
    );
    expect_err(
        "name: web\nregion: us-east-1\napp:\n  instance_type:\n",
        4,
        17,
        "app.instance_type",
        "the value is empty",
    );
    expect_err(
        &minimal_with("  image: ami-12345\n"),
        5,
        10,
        "app.image",
        "expected ami- followed by 8 to 17 hex digits",
    );
    expect_err(&minimal_with("  image: ami-0123456789ABCDEF0\n"), 5, 10, "app.image", "hex digits");
    expect_err(&minimal_with("  image: ubuntu\n"), 5, 10, "app.image", "is not an image");
    expect_err(&minimal_with("  image: ssm:aws/service/x\n"), 5, 10, "app.image", "must start with `/`");
    expect_err(&minimal_with("  image: \"ssm:/a b\"\n"), 5, 10, "app.image", "contains a space");
    let app = ok(&minimal_with("  image: ssm:/my/ami\n  port: 3000\n")).topology.groups.remove(0).nodes;
    assert_eq!(app.image, Image::SsmParameter("/my/ami".into()));
    assert_eq!(app.port, 3000);
    expect_err(
        &minimal_with("  port: 0\n"),
        5,
        9,
        "app.port",
        "0 is out of range: expected a port number from 1 to 65535",
    );
}

#[test]
fn user_data_is_read_relative_to_the_topology_file() {
    let dir = TempDir::new("user-data");
    dir.write("scripts/boot.sh", "#!/bin/bash\necho {{ deployment }}\n");
    let text = minimal_with("  user_data: scripts/boot.sh\n");
    let source = dir.write("topology.yaml", &text);
    let app = parse(&source, &text).expect("valid").topology.groups.remove(0).nodes;
    assert_eq!(app.user_data_template, "#!/bin/bash\necho {{ deployment }}\n");
    assert_eq!(app.user_data_origin, dir.0.join("scripts/boot.sh").display().to_string());
    // load() does the same from disk.
    assert_eq!(load(&source).expect("valid").topology.groups[0].nodes.user_data_template, app.user_data_template);
}

#[test]
fn unreadable_user_data_points_at_the_value() {
    let dir = TempDir::new("user-data-missing");
    dir.write("big.sh", vec![b'#'; 20_000]);
    dir.write("latin1.sh", b"echo \xe9\n");
    let check = |file: &str, needle: &str| {
        let text = minimal_with(&format!("  user_data: {file}\n"));
        let source = dir.0.join("topology.yaml");
        match parse(&source, &text) {
            Err(TopologyError::Invalid(d)) => {
                assert_eq!((d.line, d.column, d.field.as_str()), (5, 14, "app.user_data"), "{d}");
                assert!(d.message.contains(needle), "{d}");
            }
            other => panic!("{other:?}"),
        }
    };
    check("missing.sh", "cannot read");
    check("big.sh", "larger than 16 KiB");
    check("latin1.sh", "not UTF-8");
    check("\"\"", "the value is empty");
}
