//! Opinion groups from stance vectors: principal components to two dimensions, then
//! k-means with k chosen by silhouette — small, dependency-free and deterministic, so
//! every node draws the same groups from the same stances.
//!
//! Determinism comes from fixed procedures, not seeds: the eigenvectors come from cyclic
//! Jacobi rotations (no random start), k-means starts from the first row and adds the
//! farthest point each time, and every tie is broken towards the lower index.

/// Groups are only looked for with at least this many participants.
pub const MIN_PARTICIPANTS: usize = 4;
/// The largest number of groups tried.
pub const MAX_GROUPS: usize = 5;

const EPS: f64 = 1e-12;

/// A partition of rows into groups.
#[derive(Clone, Debug, PartialEq)]
pub struct Clustering {
    /// The group of each row; groups are numbered by their first row, from 0.
    pub assignment: Vec<usize>,
    /// The number of groups.
    pub k: usize,
    /// The mean silhouette of the chosen partition; `None` with a single group.
    pub silhouette: Option<f64>,
    /// Each row's coordinates on the first two principal components.
    pub points: Vec<[f64; 2]>,
}

/// Opinion groups of `rows` (one vector per participant, all of the same length): PCA
/// to two dimensions, then [`choose_k`]. With fewer than [`MIN_PARTICIPANTS`] rows, or
/// when all rows project to the same point, everyone is in one group.
pub fn opinion_groups(rows: &[Vec<f64>]) -> Clustering {
    let points = project(rows);
    let (assignment, silhouette) = choose_k(&points);
    let assignment = number_by_first_row(&assignment);
    let k = assignment.iter().max().map_or(0, |m| m + 1);
    Clustering {
        assignment,
        k,
        silhouette,
        points,
    }
}

/// Each row's coordinates on the first two principal components of the rows, after
/// centring every column on its mean. Missing components (rank below two) are 0.
pub fn project(rows: &[Vec<f64>]) -> Vec<[f64; 2]> {
    let n = rows.len();
    let m = rows.first().map_or(0, Vec::len);
    if n == 0 || m == 0 {
        return vec![[0.0; 2]; n];
    }
    let mut x: Vec<Vec<f64>> = rows.to_vec();
    for j in 0..m {
        let mean = x.iter().map(|r| r[j]).sum::<f64>() / n as f64;
        for r in &mut x {
            r[j] -= mean;
        }
    }
    // The principal axes: eigenvectors v of XᵀX, or when there are fewer rows than
    // columns, Xᵀu for the eigenvectors u of the smaller XXᵀ. Coordinates are always
    // X·v, so that equal rows get exactly equal points.
    let axes: Vec<Vec<f64>> = if m <= n {
        top_eigenvectors(&gram(&transpose(&x)), 2)
    } else {
        top_eigenvectors(&gram(&x), 2)
            .into_iter()
            .filter_map(|u| {
                let v: Vec<f64> = (0..m)
                    .map(|j| x.iter().zip(&u).map(|(r, ui)| r[j] * ui).sum())
                    .collect();
                let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
                (norm > EPS).then(|| v.into_iter().map(|a| a / norm).collect())
            })
            .collect()
    };
    let mut out = vec![[0.0; 2]; n];
    for (axis, v) in axes.iter().enumerate() {
        for (i, row) in x.iter().enumerate() {
            out[i][axis] = row.iter().zip(v).map(|(a, b)| a * b).sum();
        }
    }
    // Negligible coordinates are rounding noise; make them exactly zero.
    for p in &mut out {
        for c in p.iter_mut() {
            if c.abs() < 1e-9 {
                *c = 0.0;
            }
        }
    }
    out
}

fn transpose(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let m = x.first().map_or(0, Vec::len);
    (0..m).map(|j| x.iter().map(|r| r[j]).collect()).collect()
}

/// `A·Aᵀ` for the rows of `a`.
fn gram(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    a.iter()
        .map(|r| {
            a.iter()
                .map(|s| r.iter().zip(s).map(|(x, y)| x * y).sum())
                .collect()
        })
        .collect()
}

/// The eigenvectors of the symmetric matrix `a` with the `count` largest eigenvalues,
/// by cyclic Jacobi rotations; eigenvalues ≤ 0 give no vector. Each vector's largest
/// component (the first, on ties) is positive.
fn top_eigenvectors(a: &[Vec<f64>], count: usize) -> Vec<Vec<f64>> {
    let n = a.len();
    let mut a: Vec<Vec<f64>> = a.to_vec();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let scale: f64 = a.iter().flatten().map(|x| x * x).sum::<f64>().max(EPS);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off <= EPS * EPS * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]).then(i.cmp(&j)));
    let floor = 1e-9 * scale.sqrt();
    order
        .into_iter()
        .filter(|&i| a[i][i] > floor)
        .take(count)
        .map(|i| {
            let mut vec: Vec<f64> = v.iter().map(|row| row[i]).collect();
            let mut big = 0;
            for (j, x) in vec.iter().enumerate() {
                if x.abs() > vec[big].abs() + EPS {
                    big = j;
                }
            }
            if vec[big] < 0.0 {
                for x in &mut vec {
                    *x = -*x;
                }
            }
            vec
        })
        .collect()
}

fn dist2(a: &[f64; 2], b: &[f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// k-means with `k` groups: centres start at the first point, then each next centre is
/// the point farthest from the centres so far (the lowest index on ties); Lloyd
/// iterations until no point moves. `None` when there are fewer than `k` distinct
/// points, or a group empties.
pub fn kmeans(points: &[[f64; 2]], k: usize) -> Option<Vec<usize>> {
    if k == 0 || points.len() < k {
        return None;
    }
    let mut centres: Vec<[f64; 2]> = vec![points[0]];
    while centres.len() < k {
        let mut best: Option<(usize, f64)> = None;
        for (i, p) in points.iter().enumerate() {
            let d = centres
                .iter()
                .map(|c| dist2(p, c))
                .fold(f64::INFINITY, f64::min);
            if best.is_none_or(|(_, b)| d > b + EPS) {
                best = Some((i, d));
            }
        }
        match best {
            Some((i, d)) if d > EPS => centres.push(points[i]),
            _ => return None,
        }
    }
    let mut assignment = vec![usize::MAX; points.len()];
    for _ in 0..300 {
        let mut moved = false;
        for (i, p) in points.iter().enumerate() {
            let mut best = 0;
            for (c, centre) in centres.iter().enumerate() {
                if dist2(p, centre) < dist2(p, &centres[best]) - EPS {
                    best = c;
                }
            }
            if assignment[i] != best {
                assignment[i] = best;
                moved = true;
            }
        }
        if !moved {
            break;
        }
        for (c, centre) in centres.iter_mut().enumerate() {
            let members: Vec<&[f64; 2]> = points
                .iter()
                .zip(&assignment)
                .filter(|(_, a)| **a == c)
                .map(|(p, _)| p)
                .collect();
            if members.is_empty() {
                return None;
            }
            let len = members.len() as f64;
            *centre = [
                members.iter().map(|p| p[0]).sum::<f64>() / len,
                members.iter().map(|p| p[1]).sum::<f64>() / len,
            ];
        }
    }
    Some(assignment)
}

/// The mean silhouette of a partition: for each point, `(b − a) / max(a, b)` with `a`
/// its mean distance to the rest of its group and `b` the smallest mean distance to
/// another group; 0 for a point alone in its group or when `a = b = 0`.
pub fn silhouette(points: &[[f64; 2]], assignment: &[usize]) -> f64 {
    let n = points.len();
    if n == 0 {
        return 0.0;
    }
    let k = assignment.iter().max().map_or(0, |m| m + 1);
    let total: f64 = (0..n)
        .map(|i| {
            let mut sum = vec![0.0; k];
            let mut count = vec![0usize; k];
            for j in (0..n).filter(|&j| j != i) {
                sum[assignment[j]] += dist2(&points[i], &points[j]).sqrt();
                count[assignment[j]] += 1;
            }
            let own = assignment[i];
            if count[own] == 0 {
                return 0.0;
            }
            let a = sum[own] / count[own] as f64;
            let b = (0..k)
                .filter(|&c| c != own && count[c] > 0)
                .map(|c| sum[c] / count[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let max = a.max(b);
            if !b.is_finite() || max <= EPS {
                0.0
            } else {
                (b - a) / max
            }
        })
        .sum();
    total / n as f64
}

/// The partition with the highest mean silhouette over k = 2..=min(5, n − 1) (the
/// smaller k on ties); one group when there are fewer than [`MIN_PARTICIPANTS`] points
/// or no k gives a partition.
pub fn choose_k(points: &[[f64; 2]]) -> (Vec<usize>, Option<f64>) {
    let n = points.len();
    let one = (vec![0; n], None);
    if n < MIN_PARTICIPANTS {
        return one;
    }
    let mut best: Option<(Vec<usize>, f64)> = None;
    for k in 2..=MAX_GROUPS.min(n - 1) {
        let Some(assignment) = kmeans(points, k) else {
            continue;
        };
        let s = silhouette(points, &assignment);
        if best.as_ref().is_none_or(|(_, b)| s > b + 1e-9) {
            best = Some((assignment, s));
        }
    }
    match best {
        Some((assignment, s)) => (assignment, Some(s)),
        None => one,
    }
}

/// Renumbers groups in the order of their first row.
fn number_by_first_row(assignment: &[usize]) -> Vec<usize> {
    let mut names: Vec<usize> = vec![];
    assignment
        .iter()
        .map(|a| match names.iter().position(|x| x == a) {
            Some(i) => i,
            None => {
                names.push(*a);
                names.len() - 1
            }
        })
        .collect()
}
