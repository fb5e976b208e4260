"""The GAN's train step on JAX: `digitkit.gan.GAN`'s alternating updates, written stateless.

Keras' JAX trainer calls ``train_step(state, data)`` with the model's
variables as values, ``state = (trainable, non_trainable, optimizer,
metrics)``, and expects the new values back (Keras' guide "Customizing what
happens in fit() with JAX"). The GAN's two passes (`GAN.discriminator_pass`,
`GAN.generator_pass`) run unchanged inside a ``keras.StatelessScope`` that
maps every variable to its value in the state, so the conditional GAN's hooks,
the batch-norm statistics and the noise's seed work as on TensorFlow;
``jax.value_and_grad`` takes the gradient of one network's weights and its
optimizer's ``stateless_apply`` the update. Under
``keras.distribution.DataParallel`` the same step runs on a batch split
across the devices (`digitkit.distribute`).
"""

import jax
import keras

from digitkit.gan import gradient_norm


class OptimizerPair:
    """A GAN's two optimizers as the one ``model.optimizer`` whose variables Keras' JAX trainer carries.

    Args:
        model: a compiled `digitkit.gan.GAN`; its ``d_optimizer`` variables come first.
    """

    def __init__(self, model):
        self.model = model

    @property
    def variables(self):
        return list(self.model.d_optimizer.variables) + list(self.model.g_optimizer.variables)

    @property
    def built(self):
        return self.model.d_optimizer.built and self.model.g_optimizer.built

    def build(self, variables=None):
        """Build both optimizers on their own network's weights (``variables`` is Keras' list; unused)."""
        self.model.build_optimizers()


def stateless_pass(model, pass_fn, weights, values, state):
    """Run ``pass_fn()`` with every variable read from ``state``, ``weights`` read from ``values``.

    Returns:
        ``(loss, (aux, new non-trainable values))`` from ``pass_fn() -> (loss, aux)``.
    """
    trainable, non_trainable = state
    mapping = list(zip(model.trainable_variables, trainable)) + list(zip(model.non_trainable_variables, non_trainable))
    mapping += list(zip(weights, values))  # the later entry wins: the weights being differentiated
    with keras.StatelessScope(state_mapping=mapping) as scope:
        loss, aux = pass_fn()
    return loss, (aux, [scope.get_current_value(v) for v in model.non_trainable_variables])


def _update(model, network, optimizer, opt_values, pass_fn, trainable, non_trainable):
    """One stateless update of ``network``: ``(loss, aux, grads, trainable, non_trainable, opt_values)``."""
    place = {id(v): i for i, v in enumerate(model.trainable_variables)}
    weights = network.trainable_variables
    at = [place[id(v)] for v in weights]

    def loss_of(values, nt):
        return stateless_pass(model, pass_fn, weights, values, (trainable, nt))

    (loss, (aux, non_trainable)), grads = jax.value_and_grad(loss_of, has_aux=True)(
        [trainable[i] for i in at], non_trainable
    )
    new_values, opt_values = optimizer.stateless_apply(opt_values, grads, [trainable[i] for i in at])
    trainable = list(trainable)
    for i, value in zip(at, new_values):
        trainable[i] = value
    return loss, aux, grads, trainable, non_trainable, opt_values


def train_step(model, state, data):
    """``d_steps`` discriminator updates then one generator update, as `GAN.train_step` on TensorFlow.

    Returns:
        ``(logs, new state)`` as Keras' JAX trainer expects.
    """
    trainable, non_trainable, opt_values, metric_values = state
    mapping = list(zip(model.trainable_variables, trainable)) + list(zip(model.non_trainable_variables, non_trainable))
    with keras.StatelessScope(state_mapping=mapping):  # a hook may read the model's variables (selfcond's centres)
        real, conditions = model.batch_parts(data)
    split = len(model.d_optimizer.variables)
    d_opt, g_opt = list(opt_values[:split]), list(opt_values[split:])
    for _ in range(model.d_steps):
        d_loss, (real_logits, fake_logits), _, trainable, non_trainable, d_opt = _update(
            model,
            model.discriminator,
            model.d_optimizer,
            d_opt,
            lambda: model.discriminator_pass(real, conditions),
            trainable,
            non_trainable,
        )
    batch = real.shape[0]
    g_loss, _, grads, trainable, non_trainable, g_opt = _update(
        model,
        model.generator,
        model.g_optimizer,
        g_opt,
        lambda: (model.generator_pass(batch, conditions), None),
        trainable,
        non_trainable,
    )
    values = model.step_values(d_loss, g_loss, gradient_norm(grads), real_logits, fake_logits)
    logs, new_metric_values, start = {}, [], 0
    for metric in model.metrics:
        own = metric_values[start : start + len(metric.variables)]
        start += len(metric.variables)
        own = metric.stateless_update_state(own, values[metric.name])
        logs[metric.name] = metric.stateless_result(own)
        new_metric_values += list(own)
    return logs, (trainable, non_trainable, d_opt + g_opt, new_metric_values)
