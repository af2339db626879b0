use super::*;

#[test]
fn a_region_is_known_by_its_short_or_full_name_with_its_realms_domain() {
    let ashburn = known("iad");
    assert_eq!(ashburn.map(|region| region.name), Some("us-ashburn-1"));
    assert_eq!(known("us-ashburn-1"), ashburn);
    assert_eq!(ashburn.map(|region| region.domain), Some("oraclecloud.com"));
    let langley = known("us-langley-1");
    assert_eq!(
        langley.map(|region| (region.key, region.realm, region.domain)),
        Some(("lfi", "oc2", "oraclegovcloud.com"))
    );
    assert_eq!(
        known("ltn").map(|region| region.domain),
        Some("oraclegovcloud.uk")
    );
    assert_eq!(known("not-a-region-1"), None);
}

#[test]
fn every_short_and_full_name_is_one_regions_only() {
    let mut names: Vec<&str> = REGIONS
        .iter()
        .flat_map(|(key, name, _, _)| [*key, *name])
        .collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count);
}
