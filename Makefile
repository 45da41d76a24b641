# facegan: `make install` then `make train_mnist`; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: help install compile test build clean_target clean_venv train_mnist
.PHONY: synthfaces train_synthfaces train_mnist_acgan train_celeb_faces train_anime_faces
.PHONY: train_mnist_ddpm train_synthfaces_ddpm train_synthfaces_embedding
.PHONY: pipeline_train_mnist pipeline_train_animeFaces pipeline_train_celebFaces

help:
	@echo "make install        create ./$(VENV) and install facegan with its dev extras"
	@echo "make train_mnist    train WGAN-GP on MNIST (ARGS='--set train.epochs=1 ...')"
	@echo "make synthfaces     draw 20,000 SynthFaces (64 px) into data/synthfaces/ (N=, SIZE=)"
	@echo "make train_synthfaces  offline demo: WGAN-GP on SynthFaces drawn in memory"
	@echo "make train_mnist_acgan  train a digit-conditional ACGAN on MNIST"
	@echo "make train_celeb_faces  train the ResNet WGAN-GP on CelebA at 64 px"
	@echo "make train_anime_faces  train the hair/eye-colour ACGAN on anime faces"
	@echo "make train_mnist_ddpm   train a digit-conditional DDPM (diffusion) on MNIST"
	@echo "make train_synthfaces_ddpm  offline face demo: attribute-conditional DDPM on SynthFaces"
	@echo "make train_synthfaces_embedding  identity judge, then G(z, identity) on SynthFaces, scored"
	@echo "make pipeline_train_mnist  the MNIST recipe as a pipeline: 3 fresh processes"
	@echo "make pipeline_train_animeFaces  anime ACGAN as a pipeline: EPOCHS (150) fresh processes"
	@echo "make pipeline_train_celebFaces  CelebA 64 px likewise (EPOCHS=, PIPELINE=)"
	@echo "make test           run the test suite (CPU, a few minutes)"
	@echo "make compile        byte-compile and lint"
	@echo "make build          build the sdist and wheel into dist/"
	@echo "make clean_target   remove build outputs and caches"
	@echo "make clean_venv     remove ./$(VENV)"

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -e ".[dev]"

compile:
	$(BIN)/python -m compileall -q src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

test:
	$(BIN)/python -m pytest

build:
	$(BIN)/python -m build

clean_target:
	rm -rf build dist src/*.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

clean_venv:
	rm -rf $(VENV)

train_mnist:
	$(BIN)/facegan train configs/mnist_wgan_gp.yaml $(ARGS)

N ?= 20000
SIZE ?= 64
synthfaces:
	$(BIN)/facegan data synth --n $(N) --size $(SIZE) --out data/synthfaces

train_synthfaces:
	$(BIN)/facegan train configs/synthfaces_dcgan.yaml $(ARGS)

train_mnist_acgan:
	$(BIN)/facegan train configs/mnist_acgan.yaml $(ARGS)

train_celeb_faces:
	$(BIN)/facegan train configs/celeba64_resnet_wgan_gp.yaml $(ARGS)

train_anime_faces:
	$(BIN)/facegan train configs/anime_acgan.yaml $(ARGS)

train_mnist_ddpm:
	$(BIN)/facegan train configs/mnist_ddpm.yaml $(ARGS)

train_synthfaces_ddpm:
	$(BIN)/facegan train configs/synthfaces_ddpm.yaml $(ARGS)

train_synthfaces_embedding:
	$(BIN)/facegan features train configs/synthfaces_embedding.yaml
	$(BIN)/facegan train configs/synthfaces_embedding.yaml $(ARGS)
	$(BIN)/facegan evaluate models/SynthFacesID/Embedding_GAN --metrics id

# Pipelines: one fresh process per epoch; edit the config or pipeline file while they run.
EPOCHS ?= 150
PIPELINE ?= configs/pipelines/default.yaml

pipeline_train_mnist:
	$(BIN)/facegan pipeline configs/mnist_wgan_gp.yaml --pipeline $(PIPELINE) --epochs 3 \
		--set run.name=WGAN_GP_pipeline $(ARGS)

pipeline_train_animeFaces:
	$(BIN)/facegan pipeline configs/anime_acgan.yaml --pipeline $(PIPELINE) --epochs $(EPOCHS) $(ARGS)

pipeline_train_celebFaces:
	$(BIN)/facegan pipeline configs/celeba64_resnet_wgan_gp.yaml --pipeline $(PIPELINE) \
		--epochs $(EPOCHS) $(ARGS)
