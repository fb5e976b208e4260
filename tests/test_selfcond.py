import numpy as np
import pytest

from digitkit import gan, selfcond
from digitkit.data import IMAGE_SHAPE


def blobs(n_per=20, seed=0):
    """Images of three clearly different kinds: ink top-left, bottom-right, or a centre bar."""
    rng = np.random.default_rng(seed)
    kinds = np.zeros((3, *IMAGE_SHAPE), "float32")
    kinds[0, :10, :10] = 1.0
    kinds[1, 18:, 18:] = 1.0
    kinds[2, 12:16, :] = 1.0
    labels = np.repeat(np.arange(3), n_per)
    images = kinds[labels] + rng.uniform(0, 0.1, (len(labels), *IMAGE_SHAPE)).astype("float32")
    return np.clip(images, 0, 1), labels


def test_kmeans_finds_the_three_kinds_and_is_seeded():
    images, labels = blobs()
    centres, assignment = selfcond.kmeans(images, 3, seed=0)
    assert centres.shape == (3, 28 * 28) and assignment.shape == (60,)
    # each kind lands in one cluster of its own
    assert {len(set(assignment[labels == kind])) for kind in range(3)} == {1}
    assert len(set(assignment)) == 3
    again, same = selfcond.kmeans(images, 3, seed=0)
    np.testing.assert_array_equal(same, assignment)
    np.testing.assert_array_equal(again, centres)


def test_kmeans_needs_enough_points():
    with pytest.raises(ValueError, match="k=5"):
        selfcond.kmeans(np.zeros((3, 28, 28)), 5)


@pytest.fixture(scope="module")
def trained():
    images, labels = blobs()
    model = selfcond.SelfConditionedGAN(latent_dim=8, clusters=3, seed=0)
    assert not model.clustered
    model.compile()
    model.fit(images, epochs=1, batch_size=20, verbose=0)
    return model, images, labels


def test_fit_clusters_first_and_keeps_the_shares(trained):
    model, images, labels = trained
    assert model.clustered and isinstance(model, gan.GAN) and not model.conditional
    np.testing.assert_allclose(np.sort(np.asarray(model.shares)), [1 / 3] * 3, atol=1e-6)
    clusters = np.asarray(model.nearest_cluster(images))
    centres = model.centre_images()
    assert centres.shape == (3, 28, 28)
    for kind in range(3):  # a centre is the mean image of its cluster
        np.testing.assert_allclose(
            centres[clusters[labels == kind][0]], images[labels == kind, ..., 0].mean(0), atol=1e-5
        )
    assert {len(set(clusters[labels == kind])) for kind in range(3)} == {1}  # the training step sees these


def test_noise_draws_clusters_at_their_shares(trained):
    model, _, _ = trained
    noise = model.noise(3000, seed=1)
    assert noise.shape == (3000, 8 + 3)
    np.testing.assert_array_equal(noise[:, 8:].sum(axis=1), np.ones(3000))
    np.testing.assert_allclose(np.bincount(noise[:, 8:].argmax(axis=1)) / 3000, [1 / 3] * 3, atol=0.04)
    np.testing.assert_array_equal(model.noise(4, seed=2, cluster=1)[:, 8:].argmax(axis=1), [1] * 4)


def test_generate_is_seeded_and_the_cluster_reaches_the_image(trained):
    model, _, _ = trained
    a = model.generate(4, seed=3)
    assert a.shape == (4, *IMAGE_SHAPE[:2]) and a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_array_equal(a, model.generate(4, seed=3))
    assert not np.allclose(model.generate_cluster(0, 2, seed=5), model.generate_cluster(1, 2, seed=5))
    assert model.latent_walk(1, 2, steps=3).shape == (3, *IMAGE_SHAPE[:2])


def test_networks_only_and_saved_weights_keep_the_clusters(trained, tmp_path):
    model, _, _ = trained
    bare = model.networks_only()
    assert bare.d_optimizer is None and bare.clusters == 3
    np.testing.assert_array_equal(np.asarray(bare.centres), np.asarray(model.centres))
    np.testing.assert_array_equal(bare.generate(3, seed=1), model.generate(3, seed=1))
    bare.save_weights(tmp_path / "sc.weights.h5")
    loaded = selfcond.SelfConditionedGAN(latent_dim=8, clusters=3, seed=9)
    loaded.load_weights(tmp_path / "sc.weights.h5")
    assert loaded.clustered
    np.testing.assert_array_equal(loaded.generate(3, seed=1), model.generate(3, seed=1))


def test_sample_inputs_split_the_noise_and_recalibrate_the_generator():
    model = selfcond.SelfConditionedGAN(latent_dim=8, clusters=3, seed=0)
    model.find_clusters(blobs()[0])
    gaussian, clusters = model.sample_inputs(30, seed=5)
    np.testing.assert_array_equal(np.concatenate([gaussian, clusters], axis=1), model.noise(30, seed=5))
    assert gaussian.shape[1] == model.latent_dim and clusters.shape[1] == model.clusters
    images = model.generate(8, seed=1)
    model.recalibrate_batch_norm(n=200)
    assert not np.allclose(images, model.generate(8, seed=1))  # the statistics of its own samples now


def test_a_clustered_model_does_not_recluster(trained):
    model, images, _ = trained
    before = np.asarray(model.centres).copy()
    model.fit(images[:20] * 0.5, epochs=1, batch_size=20, verbose=0)  # other images: the clusters stay
    np.testing.assert_array_equal(np.asarray(model.centres), before)


@pytest.mark.parametrize("kwargs", [dict(clusters=1), dict(clusters=2.5), dict(clusters=True)])
def test_bad_cluster_counts_raise(kwargs):
    with pytest.raises(ValueError, match="Received: clusters="):
        selfcond.SelfConditionedGAN(**kwargs)


@pytest.mark.parametrize("cluster", [-1, 3, 0.5, False])
def test_bad_cluster_raises(trained, cluster):
    with pytest.raises(ValueError, match="Received: cluster="):
        trained[0].noise(2, cluster=cluster)
